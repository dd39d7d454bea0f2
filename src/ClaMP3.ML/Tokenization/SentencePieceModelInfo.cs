namespace ClaMP3.ML.Tokenization;

/// <summary>
/// The parts of a sentencepiece <c>ModelProto</c> (<c>*.model</c>) that the XLM-R tokenizer needs and that
/// Microsoft.ML.Tokenizers does not expose: piece types, the model type and the normalizer spec (the precompiled
/// charsmap and the whitespace flags). A minimal protobuf wire-format reader; unknown fields are skipped.
/// </summary>
internal sealed class SentencePieceModelInfo
{
    // sentencepiece_model.proto: SentencePiece.Type
    internal const int PieceNormal = 1, PieceUnknown = 2, PieceControl = 3, PieceUserDefined = 4, PieceUnused = 5, PieceByte = 6;
    // TrainerSpec.ModelType
    internal const int ModelUnigram = 1, ModelBpe = 2, ModelWord = 3, ModelChar = 4;

    public List<(string Piece, int Type)> Pieces { get; } = new();
    public int ModelType { get; private set; } = ModelUnigram; // proto default
    public bool TreatWhitespaceAsSuffix { get; private set; }
    public bool ByteFallback { get; private set; }
    public string NormalizerName { get; private set; } = "";
    public byte[] PrecompiledCharsmap { get; private set; } = Array.Empty<byte>();
    public string NormalizationRuleTsv { get; private set; } = "";
    public bool AddDummyPrefix { get; private set; } = true;         // proto defaults
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;
    public bool HasNormalizerSpec { get; private set; }

    /// <exception cref="FormatException">The bytes are not a sentencepiece model.</exception>
    public static SentencePieceModelInfo Parse(ReadOnlySpan<byte> model)
    {
        var info = new SentencePieceModelInfo();
        var reader = new ProtoReader(model);
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): info.ReadPiece(reader.ReadBytes()); break;
                case (2, 2): info.ReadTrainerSpec(reader.ReadBytes()); break;
                case (3, 2): info.ReadNormalizerSpec(reader.ReadBytes()); break;
                default: reader.Skip(wire); break;
            }
        }
        if (info.Pieces.Count == 0) throw new FormatException("no pieces (field 1 of ModelProto) found");
        return info;
    }

    private void ReadPiece(ReadOnlySpan<byte> bytes)
    {
        string piece = "";
        int type = PieceNormal; // proto default
        var reader = new ProtoReader(bytes);
        while (reader.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2) piece = System.Text.Encoding.UTF8.GetString(reader.ReadBytes());
            else if (field == 3 && wire == 0) type = (int)reader.ReadVarint();
            else reader.Skip(wire);
        }
        Pieces.Add((piece, type));
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        while (reader.Next(out int field, out int wire))
        {
            if (field == 3 && wire == 0) ModelType = (int)reader.ReadVarint();
            else if (field == 24 && wire == 0) TreatWhitespaceAsSuffix = reader.ReadVarint() != 0;
            else if (field == 35 && wire == 0) ByteFallback = reader.ReadVarint() != 0;
            else reader.Skip(wire);
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> bytes)
    {
        HasNormalizerSpec = true;
        var reader = new ProtoReader(bytes);
        while (reader.Next(out int field, out int wire))
        {
            switch (field, wire)
            {
                case (1, 2): NormalizerName = System.Text.Encoding.UTF8.GetString(reader.ReadBytes()); break;
                case (2, 2): PrecompiledCharsmap = reader.ReadBytes().ToArray(); break;
                case (3, 0): AddDummyPrefix = reader.ReadVarint() != 0; break;
                case (4, 0): RemoveExtraWhitespaces = reader.ReadVarint() != 0; break;
                case (5, 0): EscapeWhitespaces = reader.ReadVarint() != 0; break;
                case (6, 2): NormalizationRuleTsv = System.Text.Encoding.UTF8.GetString(reader.ReadBytes()); break;
                default: reader.Skip(wire); break;
            }
        }
    }

    /// <summary>Protobuf wire-format cursor (varint, 64-bit, length-delimited and 32-bit fields).</summary>
    private ref struct ProtoReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _pos;

        public ProtoReader(ReadOnlySpan<byte> data) { _data = data; _pos = 0; }

        public bool Next(out int field, out int wire)
        {
            if (_pos >= _data.Length) { field = 0; wire = 0; return false; }
            ulong key = ReadVarint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            if (field == 0) throw new FormatException($"invalid protobuf field number 0 at byte {_pos}");
            return true;
        }

        public ulong ReadVarint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= _data.Length) throw new FormatException("truncated protobuf varint");
                byte b = _data[_pos++];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return result;
            }
            throw new FormatException("protobuf varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> ReadBytes()
        {
            ulong length = ReadVarint();
            if (length > (ulong)(_data.Length - _pos)) throw new FormatException($"protobuf field length {length} runs past the end of the data");
            var slice = _data.Slice(_pos, (int)length);
            _pos += (int)length;
            return slice;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: ReadVarint(); break;
                case 1: Advance(8); break;
                case 2: ReadBytes(); break;
                case 5: Advance(4); break;
                default: throw new FormatException($"unsupported protobuf wire type {wire}");
            }
        }

        private void Advance(int n)
        {
            if (_data.Length - _pos < n) throw new FormatException("truncated protobuf field");
            _pos += n;
        }
    }
}
