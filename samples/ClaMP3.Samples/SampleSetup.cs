using System.Text.Json;
using ClaMP3.ML;
using ClaMP3.ML.Transforms;

namespace ClaMP3.Samples;

/// <summary>Where the samples find the model and the real-music corpus. With no arguments: the small random-weight
/// fixture checkpoint in ../shared (the numbers mean nothing, the plumbing is real). With the official weights:
/// <c>--checkpoint weights_clamp3_saas_...pth --tokenizer sentencepiece.bpe.model</c>.</summary>
internal sealed class SampleSetup
{
    public required string SharedDirectory { get; init; }
    public required string CheckpointPath { get; init; }
    public string? TokenizerPath { get; init; }
    public string? ConfigPath { get; init; }
    public string Device { get; init; } = "cpu";

    public string RealData => Path.Combine(SharedDirectory, "data", "real");

    public static SampleSetup FromArguments(string[] args)
    {
        string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        string shared = Value("--shared") ?? FindShared();
        string tiny = Path.Combine(shared, "fixtures", "clamp3-tiny");
        string? checkpoint = Value("--checkpoint");
        return new SampleSetup
        {
            SharedDirectory = shared,
            CheckpointPath = checkpoint ?? Path.Combine(tiny, "clamp3_tiny.pth"),
            TokenizerPath = Value("--tokenizer") ?? (checkpoint == null ? Path.Combine(shared, "fixtures", "tokenizer", "spm.model") : null),
            ConfigPath = Value("--config") ?? (checkpoint == null ? Path.Combine(tiny, "config.json") : null),
            Device = Value("--device") ?? "cpu",
        };
    }

    public Clamp3FeaturizerOptions Featurizer(Modality modality, string input, string output = "Features") => new()
    {
        CheckpointPath = CheckpointPath, TokenizerPath = TokenizerPath, ConfigPath = ConfigPath, Device = Device,
        Modality = modality, InputColumnName = input, OutputColumnName = output, BatchSize = 8,
    };

    /// <summary>The corpus: one row per piece that has a MIDI file, with its description and labels.</summary>
    public List<Piece> Pieces() => File.ReadLines(Path.Combine(RealData, "catalog.jsonl"))
        .Select(line => JsonDocument.Parse(line).RootElement)
        .Where(e => e.GetProperty("midi").ValueKind == JsonValueKind.String)
        .Select(e => new Piece
        {
            Id = e.GetProperty("id").GetString()!,
            MidiPath = Path.Combine(RealData, e.GetProperty("midi").GetString()!),
            Description = e.GetProperty("description").GetString()!,
            Mode = e.GetProperty("key").ValueKind == JsonValueKind.String && e.GetProperty("key").GetString()!.Contains("minor") ? "minor" : "major",
        }).ToList();

    private static string FindShared()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ClaMP3.ML.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        }
        throw new DirectoryNotFoundException("Could not find ../shared beside the repository; pass --shared DIR.");
    }
}

internal sealed class Piece
{
    public string Id { get; set; } = "";
    public string MidiPath { get; set; } = "";
    public string Description { get; set; } = "";
    public string Mode { get; set; } = "";
}
