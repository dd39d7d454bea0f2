using ClaMP3.Cli;

return Clamp3Cli.Run(args, Console.Out, Console.Error);
