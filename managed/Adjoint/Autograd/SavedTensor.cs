namespace Adjoint;

// Note [Saved tensor versions]
// A node keeps the tensors its VJP reads, each with the storage version it had when saved. Every in-place
// write bumps the version of the storage (all views share it). Unpacking compares the two: a mismatch means
// the VJP would read values that are not the ones the forward pass used, so backward stops with an error
// naming the op, the shape and both versions instead of returning a quietly wrong gradient.

/// <summary>A tensor saved for backward, with the version it was saved at and optional pack/unpack hooks.</summary>
internal sealed class SavedTensor
{
    private Tensor? _tensor;
    private object? _packed;
    private Func<object, Tensor>? _unpack;
    private readonly int _version;
    private readonly long _bytes;
    private readonly int[] _shape;
    private readonly SavedBytesTracker? _owner;

    public SavedTensor(Tensor tensor)
    {
        _version = tensor.Version;
        _shape = tensor.Shape.ToArray();
        var hooks = SavedTensorHookStack.Current;
        if (hooks is null)
        {
            _tensor = tensor;
        }
        else
        {
            _packed = hooks.Value.Pack(tensor);
            _unpack = hooks.Value.Unpack;
        }
        // A pack result that keeps its own books (a checkpoint placeholder) says what it holds; anything else
        // is charged the tensor's bytes (see Note [Checkpoint byte accounting]).
        _bytes = _packed is IPackedSavedTensor own ? own.Bytes : tensor.NumElements * tensor.DType.ElementSize();
        _owner = MemoryStats.CurrentTracker;
        MemoryStats.AddSaved(_bytes, _owner);
    }

    public bool IsReleased { get; private set; }

    /// <summary>Bytes this saved tensor accounts for (its elements, not the whole storage).</summary>
    public long Bytes => _bytes;

    /// <summary>Returns the saved tensor, checking that it was not modified in place since it was saved.</summary>
    public Tensor Unpack(string opName)
    {
        if (IsReleased)
            throw new InvalidOperationException(
                $"Backward of {opName}: trying to backward through the graph a second time (or to read saved tensors after they were freed). " +
                "Saved tensors are freed after the first backward; pass retainGraph: true to the first Backward/Grad call if you need to backward twice.");
        if (_tensor is not null)
        {
            if (_tensor.Version != _version)
                throw new InvalidOperationException(
                    $"Backward of {opName}: a tensor of shape [{string.Join(",", _shape)}] saved for backward was modified by an in-place operation " +
                    $"(saved at version {_version}, now at version {_tensor.Version}). Use an out-of-place op, or clone the tensor before modifying it.");
            return _tensor;
        }
        return _unpack!(_packed!);
    }

    public void Release()
    {
        if (IsReleased) return;
        IsReleased = true;
        _tensor = null;
        (_packed as IPackedSavedTensor)?.Release();
        _packed = null;
        MemoryStats.RemoveSaved(_bytes, _owner);
    }
}

/// <summary>
/// A pack result that accounts for its own bytes and wants to know when the graph drops it. Checkpointing
/// packs placeholders (0 bytes) and charges the tensors it really holds, when it holds them.
/// </summary>
internal interface IPackedSavedTensor
{
    /// <summary>Bytes the saved tensor charges to <see cref="MemoryStats"/> for as long as it lives.</summary>
    long Bytes { get; }

    /// <summary>The graph released the saved tensor (after backward without retainGraph).</summary>
    void Release();
}

/// <summary>The thread's active <see cref="Autograd.SavedTensorHooks"/> pair, innermost first.</summary>
internal static class SavedTensorHookStack
{
    [ThreadStatic] private static Stack<(Func<Tensor, object> Pack, Func<object, Tensor> Unpack)>? _stack;

    public static (Func<Tensor, object> Pack, Func<object, Tensor> Unpack)? Current =>
        _stack is { Count: > 0 } s ? s.Peek() : null;

    public static IDisposable Push(Func<Tensor, object> pack, Func<object, Tensor> unpack)
    {
        var stack = _stack ??= new();
        stack.Push((pack, unpack));
        return new GradMode.Restore(() => stack.Pop());
    }
}
