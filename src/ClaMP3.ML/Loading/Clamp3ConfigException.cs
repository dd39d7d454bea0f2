namespace ClaMP3.ML.Modeling;

/// <summary>A configuration that is invalid, or that does not fit the checkpoint it is used with.</summary>
public sealed class Clamp3ConfigException : Exception
{
    public Clamp3ConfigException(string message) : base(message) { }
}
