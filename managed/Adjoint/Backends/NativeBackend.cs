namespace Adjoint.Backends;

// PLACEHOLDER — replaced by the bindings work: implements IBackend over Adjoint.Interop.NativeMethods.
/// <summary>Runs kernels in the native library <c>adjoint_kernels</c> through P/Invoke.</summary>
public sealed class NativeBackend
{
    /// <summary>Loads the native library and checks its ABI version.</summary>
    public static bool TryCreate(out IBackend? backend, out Exception? error)
    {
        backend = null;
        error = new DllNotFoundException("Native backend not implemented yet.");
        return false;
    }
}
