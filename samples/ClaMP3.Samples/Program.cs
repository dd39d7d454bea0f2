using ClaMP3.Samples;

// dotnet run --project samples/ClaMP3.Samples -- [search|zeroshot|probe|production|all] [--checkpoint PTH --tokenizer SPM]
string which = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "all";
var setup = SampleSetup.FromArguments(args);
Console.WriteLine($"Model: {setup.CheckpointPath}");
if (setup.CheckpointPath.Contains("clamp3_tiny", StringComparison.Ordinal))
    Console.WriteLine("(the small random-weight fixture: results show the plumbing, not musical sense; pass --checkpoint/--tokenizer for the official weights)");
var samples = new Dictionary<string, Action<SampleSetup>>
{
    ["search"] = TextToMusicSearch.Run,
    ["zeroshot"] = ZeroShotTagging.Run,
    ["probe"] = LinearProbe.Run,
    ["production"] = ProductionScoring.Run,
};
if (which != "all" && !samples.ContainsKey(which))
{
    Console.Error.WriteLine($"Unknown sample '{which}'. Choose one of: {string.Join(", ", samples.Keys)}, all.");
    return 2;
}
foreach (var (name, run) in samples.Where(s => which == "all" || s.Key == which))
{
    Console.WriteLine();
    Console.WriteLine($"=== {name} ===");
    run(setup);
}
return 0;
