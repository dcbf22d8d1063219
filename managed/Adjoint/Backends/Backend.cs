namespace Adjoint.Backends;

/// <summary>
/// Chooses which <see cref="IBackend"/> runs the kernels. Native is the default; <c>ADJOINT_BACKEND=managed</c>
/// forces the pure C# backend, <c>ADJOINT_BACKEND=native</c> forces native (and throws the resolver's typed
/// error when the library cannot be loaded). Without the variable, a missing native library falls back to
/// managed once, with a warning on standard error.
/// </summary>
public static class Backend
{
    private static readonly Lazy<IBackend> Default = new(ChooseDefault, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<(IBackend? Backend, Exception? Error)> NativeLoad =
        new(() => NativeBackend.TryCreate(out var b, out var e) ? (b, null) : (null, e), LazyThreadSafetyMode.ExecutionAndPublication);

    [ThreadStatic] private static IBackend? _override;

    /// <summary>The pure C# backend (always available).</summary>
    public static IBackend Managed { get; } = new ManagedBackend();

    /// <summary>True when the native kernel library loaded and passed the ABI check.</summary>
    public static bool NativeAvailable => NativeLoad.Value.Backend is not null;

    /// <summary>The native backend; throws the loader's typed exception when the library cannot be loaded.</summary>
    public static IBackend Native => NativeLoad.Value.Backend ?? throw NativeLoad.Value.Error!;

    /// <summary>Why the native backend is unavailable, or null when it loaded.</summary>
    public static Exception? NativeLoadError => NativeLoad.Value.Error;

    /// <summary>The backend kernels run on for the calling thread.</summary>
    public static IBackend Current => _override ?? Default.Value;

    /// <summary>Runs kernels of the calling thread on <paramref name="backend"/> until the returned scope is disposed.</summary>
    public static IDisposable Use(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var previous = _override;
        _override = backend;
        return new Restore(previous);
    }

    private sealed class Restore(IBackend? previous) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _override = previous;
        }
    }

    private static IBackend ChooseDefault()
    {
        string? forced = Environment.GetEnvironmentVariable("ADJOINT_BACKEND")?.Trim().ToLowerInvariant();
        switch (forced)
        {
            case "managed":
                return Managed;
            case "native":
                return Native;
            case null or "":
                if (NativeAvailable) return Native;
                Console.Error.WriteLine($"Adjoint: warning: native kernels unavailable, using the managed backend. {NativeLoadError?.Message}");
                return Managed;
            default:
                throw new InvalidOperationException($"ADJOINT_BACKEND must be 'native' or 'managed', not '{forced}'.");
        }
    }
}
