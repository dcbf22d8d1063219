namespace Adjoint;

/// <summary>
/// A block of 64-byte-aligned native memory (from <see cref="StoragePool"/>) holding the elements of one or more tensors (a tensor and its
/// views). Reference-counted by the tensors that view it; freed when the last one releases it. Carries the
/// version counter that every view of the storage shares (see Note [Storage versions]).
/// </summary>
// Note [Storage versions]: every in-place write to any view of a storage bumps the storage's Version.
// Autograd saves a tensor together with the version it had; a mismatch at backward time means the saved
// value was overwritten, which the engine reports instead of computing a wrong gradient.
internal sealed unsafe class TensorStorage
{
    private static long _liveBytes;

    private int _refCount;
    private int _version;
    private void* _pointer;
    private readonly bool _pressured;

    private TensorStorage(void* pointer, DType dtype, long length, long byteLength, bool pressured)
    {
        _pointer = pointer;
        _pressured = pressured;
        DType = dtype;
        Length = length;
        ByteLength = byteLength;
        _refCount = 1;
    }

    /// <summary>Bytes of all storages not yet freed, process-wide.</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    public DType DType { get; }

    /// <summary>Capacity in elements.</summary>
    public long Length { get; }

    public long ByteLength { get; }

    public void* Pointer => _pointer;

    public int Version => Volatile.Read(ref _version);

    public int RefCount => Volatile.Read(ref _refCount);

    /// <summary>Allocates uninitialised storage for <paramref name="length"/> elements with one reference.</summary>
    public static TensorStorage Allocate(DType dtype, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        long bytes = checked(length * dtype.ElementSize());
        // Rent never asks for fewer than 64 bytes, so Pointer stays valid for empty tensors.
        void* p = StoragePool.Rent(bytes, out bool pressured);
        Interlocked.Add(ref _liveBytes, bytes);
        return new TensorStorage(p, dtype, length, bytes, pressured);
    }

    public void BumpVersion() => Interlocked.Increment(ref _version);

    public void AddRef()
    {
        if (Interlocked.Increment(ref _refCount) <= 1)
            throw new InvalidOperationException("TensorStorage was already freed.");
    }

    /// <summary>Drops one reference; the last one frees the memory. <paramref name="finalizing"/>: called from a
    /// finalizer of a tensor nobody disposed (see Note [Storage pool], undisposed tensors).</summary>
    public void Release(bool finalizing = false)
    {
        if (Interlocked.Decrement(ref _refCount) != 0) return;
        void* p = _pointer;
        _pointer = null;
        StoragePool.Return(p, ByteLength, _pressured, finalizing);
        Interlocked.Add(ref _liveBytes, -ByteLength);
    }
}
