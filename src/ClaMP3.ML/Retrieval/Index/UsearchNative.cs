using System.Runtime.InteropServices;

namespace ClaMP3.ML.Retrieval.Index;

/// <summary>
/// The C API of USearch (<c>libusearch_c</c>, shipped for linux-x64, win-x64 and osx-arm64 by the Cloud.Unum.USearch
/// package, Apache-2.0). We call it directly rather than through the package's managed class because that class
/// cannot reserve capacity up front (needed for adding from several threads), change the search expansion of a loaded
/// index, or search from a span without copying.
/// </summary>
internal static unsafe partial class UsearchNative
{
    private const string Library = "usearch_c";

    public const int MetricIp = 2;
    public const int ScalarF32 = 1;
    public const int ScalarF16 = 3;
    public const int ScalarI8 = 4;
    public const int MetricCos = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct InitOptions
    {
        public int MetricKind;
        public nint Metric;
        public int Quantization;
        public nuint Dimensions;
        public nuint Connectivity;
        public nuint ExpansionAdd;
        public nuint ExpansionSearch;
        public byte Multi; // C bool
    }

    [LibraryImport(Library)] public static partial nint usearch_init(InitOptions* options, out nint error);
    [LibraryImport(Library)] public static partial void usearch_free(nint index, out nint error);
    [LibraryImport(Library)] public static partial void usearch_reserve(nint index, nuint capacity, out nint error);
    [LibraryImport(Library)] public static partial void usearch_add(nint index, ulong key, void* vector, int kind, out nint error);
    [LibraryImport(Library)] public static partial nuint usearch_search(nint index, void* query, int kind, nuint count, ulong* keys, float* distances, out nint error);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void usearch_save(nint index, string path, out nint error);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void usearch_view(nint index, string path, out nint error);
    [LibraryImport(Library)] public static partial nuint usearch_size(nint index, out nint error);
    [LibraryImport(Library)] public static partial nuint usearch_dimensions(nint index, out nint error);
    [LibraryImport(Library)] public static partial void usearch_change_expansion_search(nint index, nuint expansion, out nint error);
    [LibraryImport(Library)] public static partial void usearch_change_threads_add(nint index, nuint threads, out nint error);
    [LibraryImport(Library)] public static partial void usearch_change_threads_search(nint index, nuint threads, out nint error);
    [LibraryImport(Library)] public static partial nint usearch_hardware_acceleration(nint index, out nint error);

    /// <summary>Throws with USearch's own message (prefixed by <paramref name="context"/>) when a call reported an error.</summary>
    public static void Check(nint error, string context)
    {
        if (error != 0) throw new InvalidDataException($"{context}: USearch: {Marshal.PtrToStringUTF8(error)}");
    }
}
