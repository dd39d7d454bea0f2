namespace ClaMP3.Cli;

/// <summary>Writes a text file through a temporary file and a rename, so readers never see half a file.</summary>
internal static class AtomicText
{
    public static void Write(string path, string text)
    {
        string tmp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
