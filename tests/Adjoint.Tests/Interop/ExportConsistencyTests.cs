using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Interop;

/// <summary>The functions the built library exports and the ones the bindings declare must be the same set.</summary>
[TestFixture]
public class ExportConsistencyTests
{
    // Symbols the static linker adds to every shared object; they are not part of the ABI.
    private static readonly HashSet<string> LinkerSymbols = ["_init", "_fini", "_edata", "_end", "__bss_start"];

    [Test]
    public void ExportedFunctionsEqualDeclaredEntryPoints()
    {
        var exported = ExportedSymbols().Where(s => s.StartsWith("adj_", StringComparison.Ordinal)).ToHashSet();
        var declared = DeclaredEntryPoints();

        var missingInLibrary = declared.Except(exported).Order().ToList();
        var missingInBindings = exported.Except(declared).Order().ToList();
        Assert.That(missingInLibrary.Count + missingInBindings.Count, Is.Zero,
            $"Declared in NativeMethods but not exported by {NativeLibraryResolver.LoadedPath}: [{string.Join(", ", missingInLibrary)}]; " +
            $"exported but not declared: [{string.Join(", ", missingInBindings)}]");
        Assert.That(declared, Has.Count.GreaterThanOrEqualTo(19), "reflection found too few LibraryImports");
    }

    [Test]
    public void LibraryExportsOnlyTheCAbi()
    {
        var stray = ExportedSymbols()
            .Where(s => !s.StartsWith("adj_", StringComparison.Ordinal) && !LinkerSymbols.Contains(s))
            .Order().ToList();
        Assert.That(stray, Is.Empty,
            "Only adj_* functions may be exported (hidden visibility, static C++ runtime); also exported: " +
            string.Join(", ", stray.Take(20)));
    }

    [Test]
    public void EveryEntryPointHasTheExactCName()
    {
        foreach (var method in LibraryImports())
        {
            var import = method.GetCustomAttribute<LibraryImportAttribute>()!;
            Assert.That(import.LibraryName, Is.EqualTo(NativeMethods.LibraryName), method.Name);
            Assert.That(import.EntryPoint, Is.EqualTo(method.Name), $"{method.Name}: EntryPoint must spell the C name");
        }
    }

    internal static HashSet<string> DeclaredEntryPoints() =>
        LibraryImports()
            .Select(m => m.GetCustomAttribute<LibraryImportAttribute>()!.EntryPoint ?? m.Name)
            .ToHashSet();

    private static IEnumerable<MethodInfo> LibraryImports() =>
        typeof(NativeMethods)
            .GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null);

    private static List<string> ExportedSymbols()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Ignore("Reads ELF dynamic symbols with nm; Linux only.");
        string path = NativeLibraryInfo.EnsureLoaded();
        Assert.That(File.Exists(path), Is.True, $"loaded library path '{path}' is not a file");

        var start = new ProcessStartInfo("nm", ["-D", "--defined-only", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var nm = Process.Start(start) ?? throw new InvalidOperationException("could not start nm");
        string output = nm.StandardOutput.ReadToEnd();
        string error = nm.StandardError.ReadToEnd();
        nm.WaitForExit();
        Assert.That(nm.ExitCode, Is.Zero, $"nm -D --defined-only {path} failed: {error}");

        // Lines look like "0000000000001234 T adj_fill"; versioned names carry "@VERS".
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 3)
            .Select(parts => parts[2].Split('@')[0])
            .ToList();
    }
}
