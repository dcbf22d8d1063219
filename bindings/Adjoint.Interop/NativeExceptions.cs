namespace Adjoint.Interop;

/// <summary>
/// The kernel library could not be loaded from any location the resolver tried. <see cref="Attempts"/> lists
/// each path or name tried, in order, with the reason it failed; the message contains the same list.
/// </summary>
public sealed class NativeLibraryNotFoundException : DllNotFoundException
{
    /// <summary>Creates the exception from the ordered list of failed attempts.</summary>
    public NativeLibraryNotFoundException(string summary, IReadOnlyList<string> attempts)
        : base(Format(summary, attempts))
    {
        Attempts = attempts;
    }

    /// <summary>Creates the exception with a message only (no attempts recorded).</summary>
    public NativeLibraryNotFoundException(string message) : base(message) => Attempts = [];

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public NativeLibraryNotFoundException(string message, Exception inner) : base(message, inner) => Attempts = [];

    /// <summary>Creates the exception with the default message.</summary>
    public NativeLibraryNotFoundException() : this("The Adjoint native kernel library could not be loaded.") { }

    /// <summary>Every location tried, in order, as "where: why it failed".</summary>
    public IReadOnlyList<string> Attempts { get; }

    private static string Format(string summary, IReadOnlyList<string> attempts)
    {
        var text = new System.Text.StringBuilder(summary);
        text.Append(" Tried:");
        foreach (string attempt in attempts)
            text.Append(Environment.NewLine).Append("  - ").Append(attempt);
        return text.ToString();
    }
}

/// <summary>
/// The loaded kernel library was built from a different version of <c>adjoint.h</c> than these bindings.
/// Calling it could corrupt memory, so nothing is called after the check fails.
/// </summary>
public sealed class NativeAbiMismatchException : Exception
{
    /// <summary>Creates the exception naming the library and both versions.</summary>
    public NativeAbiMismatchException(string libraryPath, int libraryVersion, int bindingsVersion)
        : base($"The native kernel library '{libraryPath}' has ABI version {libraryVersion}, but these bindings " +
               $"require ABI version {bindingsVersion}. Rebuild the native library (./build.sh build) or point " +
               $"{NativeLibraryResolver.PathVariable} at a matching build.")
    {
        LibraryPath = libraryPath;
        LibraryVersion = libraryVersion;
        BindingsVersion = bindingsVersion;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public NativeAbiMismatchException(string message) : base(message) => LibraryPath = "";

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public NativeAbiMismatchException(string message, Exception inner) : base(message, inner) => LibraryPath = "";

    /// <summary>Creates the exception with the default message.</summary>
    public NativeAbiMismatchException() : this("The native kernel library has an incompatible ABI version.") { }

    /// <summary>Path of the library that failed the check.</summary>
    public string LibraryPath { get; }

    /// <summary><c>adj_abi_version()</c> of the loaded library (-1 when it does not export it).</summary>
    public int LibraryVersion { get; }

    /// <summary>The version these bindings were written against (<see cref="NativeMethods.AbiVersion"/>).</summary>
    public int BindingsVersion { get; }
}

/// <summary>A native kernel returned a status other than <see cref="AdjStatus.Ok"/>.</summary>
public sealed class AdjointNativeException : Exception
{
    /// <summary>Creates the exception from the status, the C function name and the native error text.</summary>
    public AdjointNativeException(AdjStatus status, string functionName, string nativeMessage)
        : base(string.IsNullOrEmpty(nativeMessage)
            ? $"{functionName} failed with {status}."
            : $"{functionName} failed with {status}: {nativeMessage}")
    {
        Status = status;
        FunctionName = functionName;
        NativeMessage = nativeMessage;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public AdjointNativeException(string message) : base(message)
    {
        FunctionName = "";
        NativeMessage = "";
        Status = AdjStatus.Internal;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public AdjointNativeException(string message, Exception inner) : base(message, inner)
    {
        FunctionName = "";
        NativeMessage = "";
        Status = AdjStatus.Internal;
    }

    /// <summary>Creates the exception with the default message.</summary>
    public AdjointNativeException() : this("A native kernel call failed.") { }

    /// <summary>The status the kernel returned.</summary>
    public AdjStatus Status { get; }

    /// <summary>The C function that failed, e.g. <c>adj_fill</c>.</summary>
    public string FunctionName { get; }

    /// <summary><c>adj_last_error()</c> as read right after the failing call ("" if the library gave none).</summary>
    public string NativeMessage { get; }
}
