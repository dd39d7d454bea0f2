namespace ClaMP3.Cli;

/// <summary>Writes a text file through a temporary file and a rename, so readers never see half a file.</summary>
internal static class AtomicText
{
    public static void Write(string path, string text) => Write(path, writer => writer.Write(text));

    public static void Write(string path, Action<TextWriter> write)
    {
        string tmp = path + $".{Guid.NewGuid():N}.tmp";
        try
        {
            using (var writer = new StreamWriter(tmp)) write(writer);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
