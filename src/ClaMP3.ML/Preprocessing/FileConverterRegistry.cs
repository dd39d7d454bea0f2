using System.Reflection;

namespace ClaMP3.ML.Preprocessing;

/// <summary>Finds every <see cref="IFileConverter"/> in the loaded <c>ClaMP3.ML*</c> assemblies, so that a converter
/// living in its own assembly (e.g. the LGPL xml2abc port in <c>ClaMP3.ML.MusicXml</c>) joins the CLI and the
/// benchmarks as soon as the application references it.</summary>
public static class FileConverterRegistry
{
    private const string AssemblyPrefix = "ClaMP3.ML";

    /// <summary>One instance of each converter type (public, non-abstract, parameterless constructor), ordered by
    /// <see cref="IFileConverter.Name"/>. Referenced <c>ClaMP3.ML*</c> assemblies of the entry assembly are loaded first
    /// (the runtime loads an assembly only when code touches it).</summary>
    /// <exception cref="InvalidOperationException">Two converters share a name.</exception>
    public static IReadOnlyList<IFileConverter> Discover(params Assembly[] extraAssemblies)
    {
        foreach (var root in new[] { Assembly.GetEntryAssembly(), typeof(FileConverterRegistry).Assembly }.Concat(extraAssemblies))
            if (root is not null) LoadReferencedClaMP3Assemblies(root);
        LoadClaMP3AssembliesBesideTheApplication();

        var assemblies = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && (a.GetName().Name?.StartsWith(AssemblyPrefix, StringComparison.OrdinalIgnoreCase) ?? false))
            .Concat(extraAssemblies)
            .Distinct();

        var converters = new Dictionary<string, IFileConverter>(StringComparer.Ordinal);
        foreach (var assembly in assemblies)
        {
            foreach (var type in LoadableTypes(assembly))
            {
                if (!typeof(IFileConverter).IsAssignableFrom(type) || type.IsAbstract || type.IsInterface || !type.IsPublic) continue;
                if (type.GetConstructor(Type.EmptyTypes) is null) continue;
                var converter = (IFileConverter)Activator.CreateInstance(type)!;
                if (converters.TryGetValue(converter.Name, out var other) && other.GetType() != type)
                    throw new InvalidOperationException(
                        $"Two file converters are named '{converter.Name}': {other.GetType().FullName} and {type.FullName}.");
                converters[converter.Name] = converter;
            }
        }
        return converters.Values.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    private static void LoadReferencedClaMP3Assemblies(Assembly root)
    {
        foreach (var name in root.GetReferencedAssemblies())
        {
            if (name.Name is null || !name.Name.StartsWith(AssemblyPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            try
            {
                Assembly.Load(name);
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // A referenced assembly that is not deployed simply contributes no converter.
            }
        }
    }

    /// <summary>The compiler drops a reference whose types the code never names, so a converter assembly the CLI only
    /// references (to have it deployed) is not among <c>GetReferencedAssemblies()</c>: load those in the application
    /// folder by name too.</summary>
    private static void LoadClaMP3AssembliesBesideTheApplication()
    {
        string dir = AppContext.BaseDirectory;
        if (!Directory.Exists(dir)) return;
        var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var path in Directory.EnumerateFiles(dir, AssemblyPrefix + "*.dll"))
        {
            try
            {
                var name = AssemblyName.GetAssemblyName(path);
                if (loaded.Contains(name.Name!)) continue;
                try { Assembly.Load(name); }
                catch (FileNotFoundException) { Assembly.LoadFrom(path); } // not in the deps.json: load it from its path
            }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
            {
                // Not a loadable assembly: it contributes no converter.
            }
        }
    }

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.Where(t => t is not null)!;
        }
    }
}
