using System.Runtime.InteropServices;

namespace Adjoint.Interop;

/// <summary>
/// What was loaded: where from, which ABI, how it was built, and which kernel tier and thread count it uses.
/// Reading any member loads the library first (and throws the resolver's typed exceptions when it cannot).
/// </summary>
public static unsafe class NativeLibraryInfo
{
    /// <summary>Loads the library and checks its ABI version; returns the loaded path.</summary>
    /// <exception cref="NativeLibraryNotFoundException">The library could not be found or loaded.</exception>
    /// <exception cref="NativeAbiMismatchException">The library's ABI version differs from <see cref="NativeMethods.AbiVersion"/>.</exception>
    public static string EnsureLoaded()
    {
        NativeLibraryResolver.EnsureRegistered();
        NativeLibraryResolver.Load();
        return NativeLibraryResolver.LoadedPath!;
    }

    /// <summary>Path of the loaded library file.</summary>
    public static string LibraryPath => EnsureLoaded();

    /// <summary><c>adj_abi_version()</c> of the loaded library (equal to <see cref="NativeMethods.AbiVersion"/> once loaded).</summary>
    public static int AbiVersion => NativeMethods.adj_abi_version();

    /// <summary><c>adj_build_info()</c>: version, compiler, build type and ISA tiers compiled in.</summary>
    public static string BuildInfo => Marshal.PtrToStringUTF8((nint)NativeMethods.adj_build_info()) ?? "";

    /// <summary>The kernel tier in use now (after <c>ADJOINT_ISA</c> and <see cref="SetIsa"/>).</summary>
    public static Isa Isa => NativeMethods.adj_cpu_isa();

    /// <summary>The best tier this CPU and OS support, independent of any forcing.</summary>
    public static Isa MaxIsa => NativeMethods.adj_max_isa();

    /// <summary>Forces the kernel table to <paramref name="isa"/> for the whole process.</summary>
    /// <exception cref="AdjointNativeException">With <see cref="AdjStatus.Unsupported"/> when the CPU lacks the tier.</exception>
    public static void SetIsa(Isa isa) => NativeStatus.Check(NativeMethods.adj_set_isa(isa), "adj_set_isa");

    /// <summary>Threads the kernels may use (≥ 1); process-wide.</summary>
    public static int NumThreads
    {
        get => NativeMethods.adj_get_num_threads();
        set => NativeStatus.Check(NativeMethods.adj_set_num_threads(value), "adj_set_num_threads");
    }

    /// <summary>One line per fact, for diagnostics and the CLI.</summary>
    public static string Describe() =>
        $"path: {LibraryPath}{Environment.NewLine}abi: {AbiVersion}{Environment.NewLine}build: {BuildInfo}{Environment.NewLine}" +
        $"isa: {Isa} (max {MaxIsa}){Environment.NewLine}threads: {NumThreads}";
}
