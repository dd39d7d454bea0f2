using System.CommandLine;
using System.Globalization;
using ClaMP3.ML.Evaluation;

namespace ClaMP3.Cli.Commands;

/// <summary><c>clamp3 fmd REF_DIR GEN_DIR</c>: the Fréchet distance between two folders of CLaMP 3 global features
/// (<see cref="FrechetDistance"/>), e.g. a reference collection and a model's generated music.</summary>
public sealed class FmdCommand : ICliCommand
{
    public Command Create()
    {
        var reference = new Argument<string>("REF_DIR") { Description = "Global features (.npy (1, D), searched recursively) of the reference set." };
        var generated = new Argument<string>("GEN_DIR") { Description = "Global features of the set to compare (e.g. generated music)." };
        var command = new Command("fmd", "Fréchet distance between two sets of CLaMP 3 global features (mean/covariance Gaussians).") { reference, generated };
        command.SetGuardedAction((parse, stdout, _) =>
        {
            double fmd = FrechetDistance.Compute(parse.GetValue(reference)!, parse.GetValue(generated)!);
            stdout.WriteLine("FMD " + fmd.ToString("R", CultureInfo.InvariantCulture));
            return CliErrors.Ok;
        });
        return command;
    }
}
