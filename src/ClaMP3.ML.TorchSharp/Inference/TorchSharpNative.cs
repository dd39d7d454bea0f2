using System.Runtime.InteropServices;
using System.Text;

namespace ClaMP3.ML.Inference;

/// <summary>
/// For hosts that load packages straight from the NuGet cache, where no build copies (and so no build target can fix)
/// TorchSharp's native library: Polyglot / .NET Interactive notebooks (<c>#r "nuget: …"</c>) and scripts. Call
/// <see cref="Prepare"/> once before the first TorchSharp call. On Linux whose libstdc++ lacks <c>GLIBCXX_3.4.32</c>
/// (Debian 12 and similar) it loads libtorch from the referenced <c>libtorch-cpu-linux-x64</c> package and a copy of
/// <c>libLibTorchSharp.so</c> whose unused version need is marked weak (the same fix as the package's build targets,
/// written to a cache folder, never into the NuGet cache); everywhere else it does nothing. Applications built with
/// MSBuild do not need it.
/// </summary>
public static class TorchSharpNative
{
    private const string NeededVersion = "GLIBCXX_3.4.32";
    private static readonly object Gate = new();
    private static string? _prepared;

    /// <summary>Makes TorchSharp loadable in this process; returns what it did (one line, for a notebook's output).</summary>
    /// <param name="libtorchPackage">The libtorch runtime package referenced next to TorchSharp.</param>
    public static string Prepare(string libtorchPackage = "libtorch-cpu-linux-x64")
    {
        lock (Gate)
        {
            if (_prepared is not null) return _prepared;
            if (!OperatingSystem.IsLinux() || LibStdCxxHas(NeededVersion))
                return _prepared = "TorchSharp loads as it is here (nothing to prepare).";

            // TorchSharp.dll sits in <packages>/torchsharp/<version>/lib/<tfm>/ (packages: the NuGet cache); typeof() does not run torch's static constructor.
            var torchSharpLib = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!;
            var torchSharpRoot = Path.GetFullPath(Path.Combine(torchSharpLib, "..", ".."));
            var packages = Path.GetFullPath(Path.Combine(torchSharpRoot, "..", ".."));
            var native = Path.Combine(torchSharpRoot, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            var libtorchDir = Directory.Exists(Path.Combine(packages, libtorchPackage))
                ? Directory.GetDirectories(Path.Combine(packages, libtorchPackage)).Select(d => Path.Combine(d, "runtimes", "linux-x64", "native"))
                    .Where(d => File.Exists(Path.Combine(d, "libtorch.so"))).Order(StringComparer.Ordinal).LastOrDefault()
                : null;
            if (!File.Exists(native) || libtorchDir is null)
                throw new InvalidOperationException(
                    $"TorchSharp's native files were not found next to {torchSharpRoot} (and a '{libtorchPackage}' package beside it): reference {libtorchPackage} (#r \"nuget: {libtorchPackage}, 2.10.0\").");

            var bytes = File.ReadAllBytes(native);
            int weakened = ElfVersionNeeds.MarkWeak(bytes, NeededVersion);
            var cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "clamp3", "torchsharp-native",
                Path.GetFileName(torchSharpRoot));
            Directory.CreateDirectory(cache);
            var patched = Path.Combine(cache, "libLibTorchSharp.so");
            if (!File.Exists(patched) || !File.ReadAllBytes(patched).AsSpan().SequenceEqual(bytes))
            {
                var temporary = patched + "." + Guid.NewGuid().ToString("N") + ".tmp";
                File.WriteAllBytes(temporary, bytes);
                File.Move(temporary, patched, overwrite: true);
            }
            // libtorch first (its own files find each other), then the patched library: later loads by name
            // ("libtorch", "LibTorchSharp") find these already-loaded objects by their sonames.
            NativeLibrary.Load(Path.Combine(libtorchDir, "libtorch.so"));
            NativeLibrary.Load(patched);
            return _prepared = $"TorchSharp native library prepared: {weakened} need(s) for {NeededVersion} marked weak in {patched}; libtorch from {libtorchDir}.";
        }
    }

    private static bool LibStdCxxHas(string version)
    {
        string[] candidates = ["/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6"];
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (var path in candidates)
            if (File.Exists(path)) return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
        return true; // unknown layout: assume a current libstdc++ and change nothing
    }
}

/// <summary>Marks a symbol-version need weak (<c>VER_FLG_WEAK</c> in its Vernaux entry) in an ELF64 little-endian
/// shared object, so the dynamic loader accepts a library whose version is missing. Offsets checked against the
/// buffer; a file that is not such an ELF is left as it is.</summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 2;

    public static int MarkWeak(byte[] f, string versionName)
    {
        if (f.Length < 64 || f[0] != 0x7f || f[1] != (byte)'E' || f[2] != (byte)'L' || f[3] != (byte)'F' || f[4] != 2 || f[5] != 1) return 0;
        var span = f.AsSpan();
        long shoff = (long)U64(span, 0x28);
        int shentsize = U16(span, 0x3A), shnum = U16(span, 0x3C), patched = 0;
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (sh < 0 || sh + 0x40 > f.Length || U32(span, (int)sh + 4) != ShtGnuVerneed) continue;
            long off = (long)U64(span, (int)sh + 0x18);
            long strSh = shoff + (long)U32(span, (int)sh + 0x28) * shentsize;
            if (strSh < 0 || strSh + 0x40 > f.Length) continue;
            long strOff = (long)U64(span, (int)strSh + 0x18);
            for (long vn = off, guard = 0; vn >= 0 && vn + 16 <= f.Length && guard < 4096; guard++)
            {
                int count = U16(span, (int)vn + 2);
                long aux = vn + U32(span, (int)vn + 8);
                for (int k = 0; k < count && aux >= 0 && aux + 16 <= f.Length; k++)
                {
                    long name = strOff + U32(span, (int)aux + 8);
                    if (name >= 0 && name < f.Length && NameAt(span, (int)name) == versionName && (U16(span, (int)aux + 4) & VerFlagWeak) == 0)
                    {
                        f[aux + 4] |= (byte)VerFlagWeak;
                        patched++;
                    }
                    uint nextAux = U32(span, (int)aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(span, (int)vn + 12);
                if (next == 0) break;
                vn += next;
            }
        }
        return patched;
    }

    private static string NameAt(ReadOnlySpan<byte> f, int at)
    {
        int end = f[at..].IndexOf((byte)0);
        return end < 0 ? "" : Encoding.ASCII.GetString(f.Slice(at, end));
    }

    private static ushort U16(ReadOnlySpan<byte> f, int at) => BitConverter.ToUInt16(f.Slice(at, 2));
    private static uint U32(ReadOnlySpan<byte> f, int at) => BitConverter.ToUInt32(f.Slice(at, 4));
    private static ulong U64(ReadOnlySpan<byte> f, int at) => BitConverter.ToUInt64(f.Slice(at, 8));
}
