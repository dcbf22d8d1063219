using System.Reflection;
using System.Runtime.InteropServices;

namespace Adjoint.Interop;

/// <summary>
/// Finds and loads <c>adjoint_kernels</c> for every <see cref="NativeMethods"/> call. Order:
/// <list type="number">
/// <item><c>ADJOINT_NATIVE_PATH</c>: a library file, or a folder holding it. When set, nothing else is tried:
/// a user who names a library must get that library or an error, never a different build.</item>
/// <item>The runtime's normal probing for the assembly (app folder, deps.json native assets, system paths).</item>
/// <item><c>runtimes/&lt;rid&gt;/native/</c> beside the application (<see cref="AppContext.BaseDirectory"/>).</item>
/// </list>
/// The first library that loads is checked with <c>adj_abi_version()</c> before any other call reaches it.
/// </summary>
public static class NativeLibraryResolver
{
    /// <summary>Environment variable naming the library file, or the folder that holds it.</summary>
    public const string PathVariable = "ADJOINT_NATIVE_PATH";

    private static readonly object Gate = new();
    private static int _registered;
    private static nint _handle;
    private static string? _loadedPath;

    /// <summary>Full path (or the name the loader resolved) of the loaded library; null before the first load.</summary>
    public static string? LoadedPath => Volatile.Read(ref _loadedPath);

    /// <summary>The platform file name of the library: libadjoint_kernels.so, adjoint_kernels.dll, libadjoint_kernels.dylib.</summary>
    public static string PlatformFileName =>
        OperatingSystem.IsWindows() ? NativeMethods.LibraryName + ".dll"
        : OperatingSystem.IsMacOS() ? "lib" + NativeMethods.LibraryName + ".dylib"
        : "lib" + NativeMethods.LibraryName + ".so";

    /// <summary>The runtime identifier used for the <c>runtimes/&lt;rid&gt;/native</c> fallback, e.g. linux-x64.</summary>
    public static string CurrentRid
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                var other => other.ToString().ToLowerInvariant(),
            };
            return os + "-" + arch;
        }
    }

    /// <summary>Installs the resolver on the Interop assembly. Idempotent; the runtime allows one resolver per assembly.</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
    }

    /// <summary>
    /// Loads the library (once per process) and checks its ABI version.
    /// </summary>
    /// <returns>The OS handle of the loaded library.</returns>
    /// <exception cref="NativeLibraryNotFoundException">No candidate loaded; the message lists each one.</exception>
    /// <exception cref="NativeAbiMismatchException">A library loaded but its ABI version differs.</exception>
    public static nint Load()
    {
        nint handle = Volatile.Read(ref _handle);
        if (handle != 0) return handle;
        lock (Gate)
        {
            if (_handle != 0) return _handle;
            handle = Probe(Environment.GetEnvironmentVariable(PathVariable), typeof(NativeLibraryResolver).Assembly,
                           AppContext.BaseDirectory, out string path);
            _loadedPath = path;
            Volatile.Write(ref _handle, handle);
            return handle;
        }
    }

    /// <summary>
    /// The probing itself, without caching, so it can be tested with any inputs. Returns the handle of the first
    /// candidate that loads, after checking its ABI version; a library that fails the check is released.
    /// </summary>
    /// <param name="explicitPath">Value of <c>ADJOINT_NATIVE_PATH</c>, or null/empty for none.</param>
    /// <param name="assembly">Assembly whose probing rules the runtime applies in the normal-probing step.</param>
    /// <param name="baseDirectory">Application folder that holds <c>runtimes/&lt;rid&gt;/native</c>.</param>
    /// <param name="loadedPath">Where the library was found.</param>
    /// <exception cref="NativeLibraryNotFoundException">No candidate loaded; the message lists each one.</exception>
    /// <exception cref="NativeAbiMismatchException">A library loaded but its ABI version differs.</exception>
    public static nint Probe(string? explicitPath, Assembly assembly, string baseDirectory, out string loadedPath)
    {
        nint handle = FindAndLoad(explicitPath, assembly, baseDirectory, out loadedPath);
        try
        {
            CheckAbi(handle, loadedPath);
        }
        catch
        {
            NativeLibrary.Free(handle);
            throw;
        }
        return handle;
    }

    private static nint FindAndLoad(string? explicitPath, Assembly assembly, string baseDirectory, out string loadedPath)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        var attempts = new List<string>();

        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            string candidate = Directory.Exists(explicitPath) ? Path.Combine(explicitPath, PlatformFileName) : explicitPath;
            if (!File.Exists(candidate))
            {
                attempts.Add($"{candidate}: does not exist ({PathVariable}={explicitPath})");
                throw new NativeLibraryNotFoundException(
                    $"{PathVariable} is set to '{explicitPath}', but no native kernel library is there. Set it to " +
                    $"the {PlatformFileName} file or the folder that holds it, or unset it to use normal probing.",
                    attempts);
            }
            if (TryLoadPath(candidate, attempts, out nint explicitHandle))
            {
                loadedPath = Path.GetFullPath(candidate);
                return explicitHandle;
            }
            throw new NativeLibraryNotFoundException(
                $"{PathVariable} names '{candidate}', but it could not be loaded.", attempts);
        }

        // Normal probing. NativeLibrary.Load with an assembly skips that assembly's resolver, so no recursion.
        try
        {
            nint handle = NativeLibrary.Load(NativeMethods.LibraryName, assembly, null);
            loadedPath = PathOfHandle(handle) ?? NativeMethods.LibraryName;
            return handle;
        }
        catch (DllNotFoundException e)
        {
            attempts.Add($"'{NativeMethods.LibraryName}' by normal probing: {OneLine(e.Message)}");
        }
        catch (BadImageFormatException e)
        {
            attempts.Add($"'{NativeMethods.LibraryName}' by normal probing: not a loadable library ({OneLine(e.Message)})");
        }

        string ridPath = Path.Combine(baseDirectory, "runtimes", CurrentRid, "native", PlatformFileName);
        if (!File.Exists(ridPath))
            attempts.Add($"{ridPath}: does not exist");
        else if (TryLoadPath(ridPath, attempts, out nint ridHandle))
        {
            loadedPath = ridPath;
            return ridHandle;
        }

        throw new NativeLibraryNotFoundException(
            $"The Adjoint native kernel library ({PlatformFileName}) could not be loaded. Build it with " +
            $"./build.sh build, or set {PathVariable} to the library file or its folder.", attempts);
    }

    private static bool TryLoadPath(string path, List<string> attempts, out nint handle)
    {
        try
        {
            handle = NativeLibrary.Load(path);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            attempts.Add($"{path}: {OneLine(e.Message)}");
            handle = 0;
            return false;
        }
    }

    // Runs before any kernel can be called through the handle, so a mismatched library is never used.
    private static unsafe void CheckAbi(nint handle, string path)
    {
        if (!NativeLibrary.TryGetExport(handle, "adj_abi_version", out nint export))
            throw new NativeAbiMismatchException(path, -1, NativeMethods.AbiVersion);
        int version = ((delegate* unmanaged<int>)export)();
        if (version != NativeMethods.AbiVersion)
            throw new NativeAbiMismatchException(path, version, NativeMethods.AbiVersion);
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.LibraryName ? Load() : 0;

    // The loader reports a name, not a path, after normal probing; /proc/self/maps says which file it mapped.
    private static string? PathOfHandle(nint handle)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0 && line.EndsWith(PlatformFileName, StringComparison.Ordinal))
                    return line[slash..];
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
