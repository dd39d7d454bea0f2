using System.Buffers.Binary;
using System.Text;

namespace ClaMP3.ML.Tokenization;

/// <summary>
/// sentencepiece's text normaliser (<c>normalizer.cc</c>): longest-match rewriting with the model's precompiled
/// charsmap (a darts-clone double-array trie over UTF-8 bytes plus a blob of NUL-terminated replacements), then
/// whitespace handling (leading/trailing whitespace removed, runs collapsed, dummy prefix, spaces escaped as U+2581).
/// </summary>
/// <remarks>
/// WHY our own: Microsoft.ML.Tokenizers 2.0.1 ignores charsmap rules whose replacement is empty, so characters that
/// <c>nmt_nfkc</c> deletes (C0 controls such as U+0007, U+007F…) survive and become <c>&lt;unk&gt;</c> (fixture case
/// <c>control_char</c>). The output of <see cref="Normalize"/> is given to the library's Viterbi search with its
/// own normalisation switched off. Immutable, so thread-safe.
/// </remarks>
internal sealed class SentencePieceCharsmapNormalizer
{
    internal const char SpaceSymbol = '\u2581';
    private static readonly byte[] SpaceSymbolUtf8 = { 0xE2, 0x96, 0x81 };
    private static readonly byte[] ReplacementCharUtf8 = { 0xEF, 0xBF, 0xBD };

    private readonly uint[] _trie;
    private readonly byte[] _replacements;
    private readonly byte[][] _userDefined; // protected from normalisation (sentencepiece's PrefixMatcher)
    private readonly bool _addDummyPrefix, _removeExtraWhitespaces, _escapeWhitespaces, _treatWhitespaceAsSuffix;
    // ASCII bytes that start no charsmap rule and no user-defined symbol: they map to themselves (fast path).
    private readonly bool[] _asciiPassThrough = new bool[128];

    public SentencePieceCharsmapNormalizer(SentencePieceModelInfo model)
    {
        _addDummyPrefix = model.AddDummyPrefix;
        _removeExtraWhitespaces = model.RemoveExtraWhitespaces;
        _escapeWhitespaces = model.EscapeWhitespaces;
        _treatWhitespaceAsSuffix = model.TreatWhitespaceAsSuffix;
        _userDefined = model.Pieces.Where(p => p.Type == SentencePieceModelInfo.PieceUserDefined && p.Piece.Length > 0)
            .Select(p => Encoding.UTF8.GetBytes(p.Piece)).ToArray();

        var blob = model.PrecompiledCharsmap;
        if (blob.Length == 0)
        {
            _trie = Array.Empty<uint>();
            _replacements = Array.Empty<byte>();
            InitAsciiPassThrough();
            return;
        }
        if (blob.Length <= 4) throw new FormatException("precompiled charsmap is truncated");
        uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize % 4 != 0 || trieSize > (uint)(blob.Length - 4))
            throw new FormatException($"precompiled charsmap trie size {trieSize} does not fit the {blob.Length}-byte blob");
        _trie = new uint[trieSize / 4];
        for (int i = 0; i < _trie.Length; i++) _trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + 4 * i));
        _replacements = blob.AsSpan(4 + (int)trieSize).ToArray();
        InitAsciiPassThrough();
    }

    private void InitAsciiPassThrough()
    {
        for (int b = 0; b < 128; b++)
        {
            bool startsRule = false;
            if (_trie.Length > 0)
            {
                uint nodePos = Offset(_trie[0]) ^ (uint)b;
                startsRule = nodePos < (uint)_trie.Length && Label(_trie[nodePos]) == (uint)b;
            }
            foreach (var symbol in _userDefined) startsRule |= symbol[0] == b;
            _asciiPassThrough[b] = !startsRule;
        }
    }

    /// <summary>Normalises one text segment; returns "" for an empty or whitespace-only segment.</summary>
    public string Normalize(string text)
    {
        if (text.Length == 0) return "";
        byte[] input = Encoding.UTF8.GetBytes(text);
        var output = new ByteBuffer(input.Length * 2 + 8);
        ReadOnlySpan<byte> rest = input;

        if (_removeExtraWhitespaces)
        {
            // Skip leading input whose normalised form is exactly one space.
            while (!rest.IsEmpty)
            {
                int consumed = NormalizePrefix(rest, out var replacement);
                if (!(replacement.Length == 1 && replacement[0] == (byte)' ')) break;
                rest = rest[consumed..];
            }
        }
        if (rest.IsEmpty) return "";

        if (!_treatWhitespaceAsSuffix && _addDummyPrefix) AppendSpace(ref output);

        bool isPrevSpace = _removeExtraWhitespaces;
        while (!rest.IsEmpty)
        {
            int consumed = NormalizePrefix(rest, out var piece);
            // Leading spaces of this piece are dropped when the previous output ended with a space.
            while (isPrevSpace && !piece.IsEmpty && piece[0] == (byte)' ') piece = piece[1..];
            if (!piece.IsEmpty)
            {
                foreach (byte b in piece)
                {
                    if (_escapeWhitespaces && b == (byte)' ') output.Append(SpaceSymbolUtf8);
                    else output.Append(b);
                }
                isPrevSpace = piece[^1] == (byte)' ';
            }
            rest = rest[consumed..];
            if (!_removeExtraWhitespaces) isPrevSpace = false;
        }

        if (_removeExtraWhitespaces)
        {
            ReadOnlySpan<byte> space = _escapeWhitespaces ? SpaceSymbolUtf8 : " "u8;
            while (output.Span.EndsWith(space)) output.Length -= space.Length;
        }
        if (_treatWhitespaceAsSuffix && _addDummyPrefix) AppendSpace(ref output);

        return Encoding.UTF8.GetString(output.Span);
    }

    private void AppendSpace(ref ByteBuffer output)
    {
        if (_escapeWhitespaces) output.Append(SpaceSymbolUtf8);
        else output.Append((byte)' ');
    }

    private struct ByteBuffer
    {
        private byte[] _bytes;
        public int Length;
        public ByteBuffer(int capacity) { _bytes = new byte[capacity]; Length = 0; }
        public readonly ReadOnlySpan<byte> Span => _bytes.AsSpan(0, Length);
        public void Append(byte b)
        {
            if (Length == _bytes.Length) Array.Resize(ref _bytes, _bytes.Length * 2);
            _bytes[Length++] = b;
        }
        public void Append(ReadOnlySpan<byte> bytes)
        {
            if (Length + bytes.Length > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + bytes.Length));
            bytes.CopyTo(_bytes.AsSpan(Length));
            Length += bytes.Length;
        }
    }

    /// <summary>Returns how many input bytes the longest rule at the start consumes and what they become.</summary>
    private int NormalizePrefix(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        if (input[0] < 0x80 && _asciiPassThrough[input[0]])
        {
            replacement = input[..1];
            return 1;
        }
        // User-defined symbols pass through unchanged (longest match).
        int userLength = 0;
        foreach (var symbol in _userDefined)
            if (symbol.Length > userLength && input.StartsWith(symbol)) userLength = symbol.Length;
        if (userLength > 0)
        {
            replacement = input[..userLength];
            return userLength;
        }

        int longestLength = 0, longestValue = 0;
        if (_trie.Length > 0) LongestPrefix(input, out longestLength, out longestValue);

        if (longestLength == 0)
        {
            int length = Utf8CharLength(input);
            if (length == 0)
            {
                // Malformed UTF-8: one byte becomes U+FFFD, as in sentencepiece.
                replacement = ReplacementCharUtf8;
                return 1;
            }
            replacement = input[..length];
            return length;
        }

        if ((uint)longestValue >= (uint)_replacements.Length) throw new FormatException("precompiled charsmap points past its replacement table");
        var tail = _replacements.AsSpan(longestValue);
        int end = tail.IndexOf((byte)0);
        replacement = end < 0 ? tail : tail[..end];
        return longestLength;
    }

    // darts-clone DoubleArray::commonPrefixSearch, keeping the longest match.
    private void LongestPrefix(ReadOnlySpan<byte> key, out int longestLength, out int longestValue)
    {
        longestLength = 0;
        longestValue = 0;
        uint nodePos = 0;
        uint unit = _trie[0];
        nodePos ^= Offset(unit);
        for (int i = 0; i < key.Length; i++)
        {
            nodePos ^= key[i];
            if (nodePos >= (uint)_trie.Length) return;
            unit = _trie[nodePos];
            if (Label(unit) != key[i]) return;
            nodePos ^= Offset(unit);
            if (HasLeaf(unit))
            {
                if (nodePos >= (uint)_trie.Length) return;
                longestLength = i + 1;
                longestValue = (int)Value(_trie[nodePos]);
            }
        }
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    private static uint Value(uint unit) => unit & ((1u << 31) - 1);
    private static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);
    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    /// <summary>Length of the valid UTF-8 sequence at the start, or 0 when it is malformed.</summary>
    private static int Utf8CharLength(ReadOnlySpan<byte> input)
    {
        var status = System.Text.Rune.DecodeFromUtf8(input, out _, out int consumed);
        return status == System.Buffers.OperationStatus.Done ? consumed : 0;
    }
}
