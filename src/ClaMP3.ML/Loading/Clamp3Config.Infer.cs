using System.Globalization;
using System.Text.RegularExpressions;

namespace ClaMP3.ML.Modeling;

public sealed partial record Clamp3Config
{
    /// <summary>
    /// Derives the config from a CLaMP 3 state dict's shapes plus the official conventions: layers and sizes from the
    /// tensors; heads = hidden / 64; XLM-R eps 1e-5 and pad 1; BERT eps 1e-12; patch size = patch_embedding width / 128;
    /// PATCH_LENGTH and MAX_AUDIO_LENGTH = the position tables' rows; MAX_TEXT_LENGTH = 128 (config.py) unless the
    /// position table is smaller. Official file names (<c>…_t_length_128_…_p_size_64_p_length_512.pth</c>) override the
    /// segment lengths they state.
    /// </summary>
    public static Clamp3Config Infer(IReadOnlyDictionary<string, long[]> shapes, string? checkpointFileName = null)
    {
        var description = checkpointFileName is null ? "the checkpoint" : $"checkpoint {checkpointFileName}";
        Clamp3CheckpointInspector.RequireClamp3(shapes, description);
        var reader = new ShapeReader(shapes, description);
        var text = reader.Encoder("text_model.", "text", 1e-5, 1);
        var symbolic = reader.Encoder("symbolic_model.base.", "symbolic", 1e-12, 0);
        var audio = reader.Encoder("audio_model.", "audio", 1e-12, 0);
        var patchEmbedding = reader.Shape("symbolic_model.patch_embedding.weight", 2);
        if (patchEmbedding[1] % PatchVocabSize != 0)
            throw new InvalidDataException($"{description}: symbolic_model.patch_embedding.weight is [{patchEmbedding[0]}, {patchEmbedding[1]}]; its width must be patch_size × 128.");
        var projection = reader.Shape("text_proj.weight", 2);

        int maxTextByTable = text.MaxPositionEmbeddings - text.PadTokenId - 1;
        int maxText = FromFileName(checkpointFileName, "t_length") is int t && t <= maxTextByTable ? t : Math.Min(OfficialMaxTextLength, maxTextByTable);
        int patchLength = FromFileName(checkpointFileName, "p_length") is int p && p <= symbolic.MaxPositionEmbeddings ? p : symbolic.MaxPositionEmbeddings;
        int audioLength = FromFileName(checkpointFileName, "a_length") is int a && a <= audio.MaxPositionEmbeddings ? a : audio.MaxPositionEmbeddings;

        var config = new Clamp3Config
        {
            Clamp3HiddenSize = checked((int)projection[0]),
            MaxTextLength = maxText,
            Text = text,
            Symbolic = symbolic,
            PatchSize = checked((int)(patchEmbedding[1] / PatchVocabSize)),
            PatchLength = patchLength,
            Audio = audio,
            MaxAudioLength = audioLength,
            CheckpointFileName = checkpointFileName is null ? null : Path.GetFileName(checkpointFileName),
            Source = "inferred from " + description,
        };
        config.Validate();
        config.CheckAgainst(shapes, description);
        return config;
    }

    /// <summary>A length stated in an official file name (<c>…_p_length_512.pth</c>), or null.</summary>
    private static int? FromFileName(string? checkpointFileName, string key)
    {
        if (checkpointFileName is null) return null;
        var m = Regex.Match(Path.GetFileName(checkpointFileName), "_" + key + @"_(\d+)(?=[_.])");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Reads one encoder's sizes from the state dict's shapes; every miss names the tensor and the checkpoint.</summary>
    private sealed class ShapeReader(IReadOnlyDictionary<string, long[]> shapes, string description)
    {
        public long[] Shape(string name, int rank)
        {
            if (!shapes.TryGetValue(name, out var s))
                throw new InvalidDataException($"not a complete CLaMP 3 checkpoint: {description} has no '{name}'.");
            if (s.Length != rank) throw new InvalidDataException($"{description}: tensor '{name}' has rank {s.Length}, expected {rank}.");
            return s;
        }

        public BertConfig Encoder(string prefix, string section, double eps, int pad)
        {
            var word = Shape(prefix + "embeddings.word_embeddings.weight", 2);
            var pos = Shape(prefix + "embeddings.position_embeddings.weight", 2);
            var type = Shape(prefix + "embeddings.token_type_embeddings.weight", 2);
            var inter = Shape(prefix + "encoder.layer.0.intermediate.dense.weight", 2);
            int hidden = checked((int)word[1]);
            return new BertConfig
            {
                HiddenSize = hidden,
                NumHiddenLayers = Layers(prefix),
                NumAttentionHeads = Heads(hidden, section),
                IntermediateSize = checked((int)inter[0]),
                VocabSize = checked((int)word[0]),
                MaxPositionEmbeddings = checked((int)pos[0]),
                TypeVocabSize = checked((int)type[0]),
                LayerNormEps = eps,
                PadTokenId = pad,
            };
        }

        private int Layers(string prefix)
        {
            var rx = new Regex("^" + Regex.Escape(prefix) + @"encoder\.layer\.(\d+)\.");
            var indices = shapes.Keys.Select(k => rx.Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            if (indices.Count == 0) throw new InvalidDataException($"not a complete CLaMP 3 checkpoint: {description} has no '{prefix}encoder.layer.0.*' tensors.");
            return indices.Max() + 1;
        }

        private int Heads(int hidden, string section)
        {
            if (hidden % OfficialHeadDim != 0)
                throw new Clamp3ConfigException(
                    $"cannot infer {section}.num_attention_heads from {description}: hidden size {hidden} is not a multiple of 64 (the official rule is hidden/64). Pass a config.json.");
            return hidden / OfficialHeadDim;
        }
    }
}
