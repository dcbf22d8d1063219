namespace Adjoint;

/// <summary>
/// Collects every tensor created on this thread while the scope is the innermost one, and disposes them
/// when the scope is disposed — except those handed on with <see cref="MoveToOuter"/>.
/// </summary>
/// <example>
/// <code>
/// Tensor result;
/// using (var scope = TensorScope.Begin())
/// {
///     var h = x.MatMul(w);          // disposed with the scope
///     result = scope.MoveToOuter(h.Relu());
/// }
/// </code>
/// </example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly TensorScope? _outer;
    private readonly List<Tensor> _tensors = [];
    private bool _disposed;

    private TensorScope(TensorScope? outer) => _outer = outer;

    /// <summary>The innermost open scope of the calling thread, or null.</summary>
    public static TensorScope? Current => _current;

    /// <summary>Opens a scope nested in the current one; dispose it (innermost first) to release what it collected.</summary>
    public static TensorScope Begin()
    {
        var scope = new TensorScope(_current);
        _current = scope;
        return scope;
    }

    /// <summary>Number of tensors this scope will dispose (collected and not moved out).</summary>
    public int Count
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int n = 0;
            foreach (var t in _tensors) if (ReferenceEquals(t.OwnerScope, this)) n++;
            return n;
        }
    }

    /// <summary>
    /// Hands <paramref name="tensor"/> to the enclosing scope (or to no scope when this is the outermost), so
    /// disposing this scope leaves it alive. Returns <paramref name="tensor"/>.
    /// </summary>
    public Tensor MoveToOuter(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        tensor.ThrowIfDisposed();
        if (!ReferenceEquals(tensor.OwnerScope, this))
            throw new InvalidOperationException("MoveToOuter: the tensor does not belong to this scope.");
        tensor.OwnerScope = _outer;
        _outer?._tensors.Add(tensor);
        return tensor;
    }

    /// <summary>Disposes every collected tensor that was not moved out and closes the scope.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("TensorScope: scopes must be disposed innermost first, on the thread that began them.");
        _disposed = true;
        _current = _outer;
        foreach (var t in _tensors)
            if (ReferenceEquals(t.OwnerScope, this))
            {
                t.OwnerScope = null;
                t.Dispose();
            }
        _tensors.Clear();
    }

    internal static void Track(Tensor tensor)
    {
        var scope = _current;
        if (scope is null) return;
        tensor.OwnerScope = scope;
        scope._tensors.Add(tensor);
    }
}
