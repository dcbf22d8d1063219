using System.Diagnostics;
using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Interop;

/// <summary>
/// The resolver's probing order and its errors. Probing is tested through <see cref="NativeLibraryResolver.Probe"/>
/// with made-up inputs, so the library this process already loaded is never replaced.
/// </summary>
[TestFixture]
public class ResolverTests
{
    private string _temp = "";

    [SetUp]
    public void CreateTempFolder()
    {
        _temp = Path.Combine(Path.GetTempPath(), "adjoint-resolver-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TearDown]
    public void DeleteTempFolder() => Directory.Delete(_temp, recursive: true);

    [Test]
    public void ExplicitPathPointingNowhereThrowsTypedErrorNamingThePath()
    {
        string nowhere = Path.Combine(_temp, "no", "such", "libadjoint_kernels.so");

        var error = Assert.Throws<NativeLibraryNotFoundException>(
            () => NativeLibraryResolver.Probe(nowhere, typeof(NativeMethods).Assembly, _temp, out _))!;

        Assert.That(error, Is.InstanceOf<DllNotFoundException>());
        Assert.That(error.Message, Does.Contain(NativeLibraryResolver.PathVariable));
        Assert.That(error.Message, Does.Contain(nowhere));
        Assert.That(error.Attempts, Has.Count.EqualTo(1));
        Assert.That(error.Attempts[0], Does.Contain("does not exist"));
    }

    [Test]
    public void ExplicitFolderWithoutTheLibraryNamesTheFileItLookedFor()
    {
        var error = Assert.Throws<NativeLibraryNotFoundException>(
            () => NativeLibraryResolver.Probe(_temp, typeof(NativeMethods).Assembly, _temp, out _))!;

        Assert.That(error.Message, Does.Contain(Path.Combine(_temp, NativeLibraryResolver.PlatformFileName)));
    }

    [Test]
    public void ExplicitFileThatIsNotALibraryReportsWhyItFailedToLoad()
    {
        string bogus = Path.Combine(_temp, NativeLibraryResolver.PlatformFileName);
        File.WriteAllText(bogus, "not a shared object");

        var error = Assert.Throws<NativeLibraryNotFoundException>(
            () => NativeLibraryResolver.Probe(bogus, typeof(NativeMethods).Assembly, _temp, out _))!;

        Assert.That(error.Attempts, Has.Count.EqualTo(1));
        Assert.That(error.Attempts[0], Does.StartWith(bogus + ": "));
        Assert.That(error.Attempts[0].Length, Is.GreaterThan(bogus.Length + 2), "the loader's reason is missing");
    }

    [Test]
    public void WithoutExplicitPathEveryProbedLocationIsListed()
    {
        try
        {
            nint handle = NativeLibraryResolver.Probe(null, typeof(ResolverTests).Assembly, _temp, out string found);
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
            // dlopen by name also returns a library of that soname already loaded in this process.
            Assert.Ignore($"The loader resolves the bare name (already loaded, or installed system-wide: {found}).");
        }
        catch (NativeLibraryNotFoundException error)
        {
            string ridPath = Path.Combine(_temp, "runtimes", NativeLibraryResolver.CurrentRid, "native",
                                          NativeLibraryResolver.PlatformFileName);
            Assert.That(error.Attempts, Has.Count.EqualTo(2));
            Assert.That(error.Attempts[0], Does.Contain("normal probing"));
            Assert.That(error.Attempts[1], Does.Contain(ridPath));
            Assert.That(error.Message, Does.Contain(ridPath));
        }
    }

    [Test]
    public void RuntimesRidFolderBesideTheAppIsTheLastResort()
    {
        string ridFolder = Path.Combine(_temp, "runtimes", NativeLibraryResolver.CurrentRid, "native");
        Directory.CreateDirectory(ridFolder);
        string copy = Path.Combine(ridFolder, NativeLibraryResolver.PlatformFileName);
        File.Copy(NativeLibraryInfo.EnsureLoaded(), copy);

        nint handle = NativeLibraryResolver.Probe(null, typeof(ResolverTests).Assembly, _temp, out string found);
        try
        {
            Assert.That(handle, Is.Not.EqualTo(nint.Zero));
            if (found != copy)
                Assert.Ignore($"Normal probing resolved the bare name first ({found}): already loaded or installed.");
        }
        finally
        {
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
        }
    }

    [Test]
    public void ExplicitPathToTheBuiltLibraryLoadsIt()
    {
        string built = NativeLibraryInfo.EnsureLoaded();

        nint handle = NativeLibraryResolver.Probe(built, typeof(NativeMethods).Assembly, _temp, out string found);
        try
        {
            Assert.That(found, Is.EqualTo(Path.GetFullPath(built)));
        }
        finally
        {
            System.Runtime.InteropServices.NativeLibrary.Free(handle);
        }
    }

    [Test]
    public void LibraryWithAnotherAbiVersionIsRefusedNamingBothVersions()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("Builds a stand-in library with the C compiler; Linux only.");
        string source = Path.Combine(_temp, "fake.c");
        string library = Path.Combine(_temp, NativeLibraryResolver.PlatformFileName);
        File.WriteAllText(source, "int adj_abi_version(void) { return 99; }\n");
        if (!Compile(source, library, out string compilerOutput))
            Assert.Ignore("No C compiler to build the stand-in library: " + compilerOutput);

        var error = Assert.Throws<NativeAbiMismatchException>(
            () => NativeLibraryResolver.Probe(library, typeof(NativeMethods).Assembly, _temp, out _))!;

        Assert.That(error.LibraryVersion, Is.EqualTo(99));
        Assert.That(error.BindingsVersion, Is.EqualTo(NativeMethods.AbiVersion));
        Assert.That(error.Message, Does.Contain("99").And.Contain(NativeMethods.AbiVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(error.Message, Does.Contain(library));
    }

    private static bool Compile(string source, string output, out string log)
    {
        try
        {
            var start = new ProcessStartInfo("cc", ["-shared", "-fPIC", "-o", output, source])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var cc = Process.Start(start)!;
            log = cc.StandardOutput.ReadToEnd() + cc.StandardError.ReadToEnd();
            cc.WaitForExit();
            return cc.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log = e.Message;
            return false;
        }
    }
}
