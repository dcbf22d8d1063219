using System.Runtime.InteropServices;

namespace Adjoint;

/// <summary>
/// A block of 64-byte-aligned native memory holding the elements of one or more tensors (a tensor and its
/// views). Reference-counted by the tensors that view it; freed when the last one releases it. Carries the
/// version counter that every view of the storage shares (see Note [Storage versions]).
/// </summary>
// Note [Storage versions]: every in-place write to any view of a storage bumps the storage's Version.
// Autograd saves a tensor together with the version it had; a mismatch at backward time means the saved
// value was overwritten, which the engine reports instead of computing a wrong gradient.
internal sealed unsafe class TensorStorage
{
    private const nuint Alignment = 64;

    private static long _liveBytes;

    private int _refCount;
    private int _version;
    private void* _pointer;

    private TensorStorage(void* pointer, DType dtype, long length, long byteLength)
    {
        _pointer = pointer;
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
        // AlignedAlloc(0) may return null; one aligned line keeps Pointer valid for empty tensors.
        void* p = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, (long)Alignment), Alignment);
        ReportPressure(bytes);
        Interlocked.Add(ref _liveBytes, bytes);
        return new TensorStorage(p, dtype, length, bytes);
    }

    public void BumpVersion() => Interlocked.Increment(ref _version);

    public void AddRef()
    {
        if (Interlocked.Increment(ref _refCount) <= 1)
            throw new InvalidOperationException("TensorStorage was already freed.");
    }

    /// <summary>Drops one reference; the last one frees the memory.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refCount) != 0) return;
        void* p = _pointer;
        _pointer = null;
        NativeMemory.AlignedFree(p);
        ReportPressure(-ByteLength);
        Interlocked.Add(ref _liveBytes, -ByteLength);
    }

    // GC.AddMemoryPressure is costly per call and, called for every small tensor, induces full collections.
    // Unreported bytes are batched and handed to the GC in chunks, so the GC's view of native memory is
    // accurate to within one chunk while each tensor pays only an interlocked add.
    private const long PressureChunk = 1 << 20;
    private static long _unreportedPressure;

    private static void ReportPressure(long delta)
    {
        if (delta == 0) return;
        long pending = Interlocked.Add(ref _unreportedPressure, delta);
        if (pending >= PressureChunk)
        {
            long take = Interlocked.Exchange(ref _unreportedPressure, 0);
            if (take > 0) GC.AddMemoryPressure(take);
            else Interlocked.Add(ref _unreportedPressure, take);
        }
        else if (pending <= -PressureChunk)
        {
            long take = Interlocked.Exchange(ref _unreportedPressure, 0);
            if (take < 0) GC.RemoveMemoryPressure(-take);
            else Interlocked.Add(ref _unreportedPressure, take);
        }
    }
}
