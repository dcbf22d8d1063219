using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Adjoint.Interop;

/// <summary>Turns native status codes into exceptions: the one place every kernel call's result goes through.</summary>
public static unsafe class NativeStatus
{
    /// <summary>
    /// Returns when <paramref name="status"/> is <see cref="AdjStatus.Ok"/>; otherwise throws
    /// <see cref="AdjointNativeException"/> carrying the status, <paramref name="function"/> and the text of
    /// <c>adj_last_error()</c>. Must run on the thread that made the call (the error text is thread-local).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(AdjStatus status, string function)
    {
        if (status != AdjStatus.Ok)
            Throw(status, function);
    }

    /// <summary>The calling thread's <c>adj_last_error()</c> text ("" if none).</summary>
    public static string LastError() => Marshal.PtrToStringUTF8((nint)NativeMethods.adj_last_error()) ?? "";

    // Kept out of line so that Check inlines to one compare on the hot path.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(AdjStatus status, string function) =>
        throw new AdjointNativeException(status, function, LastError());
}
