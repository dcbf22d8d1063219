namespace Adjoint;

/// <summary>
/// An n-dimensional array of <see cref="DType.Float32"/> or <see cref="DType.Float64"/> elements in native
/// memory. A tensor is a view: a shape, strides (in elements), an offset and a shared
/// <see cref="TensorStorage"/>. Views made by <see cref="Reshape"/>, <see cref="Transpose"/>, <see cref="Narrow"/>
/// and friends share the storage, so writes through one are seen by the others.
/// </summary>
/// <remarks>
/// Tensors own native memory: call <see cref="Dispose"/> (or create them inside a <see cref="TensorScope"/>).
/// A finalizer releases forgotten tensors as a last resort. Every member except <see cref="Dispose"/> and
/// <see cref="IsDisposed"/> throws <see cref="ObjectDisposedException"/> after disposal.
/// </remarks>
public sealed unsafe partial class Tensor : IDisposable
{
    private static long _liveCount;
    private static long _created;

    private TensorStorage? _storage;
    private readonly int[] _shape;
    private readonly long[] _strides;
    private readonly long _offset;
    private readonly long _numel;
    private readonly DType _dtype;

    /// <summary>
    /// Wraps <paramref name="storage"/>, taking over one reference that the caller already holds.
    /// <paramref name="register"/> = false keeps kernel temporaries out of the current <see cref="TensorScope"/>.
    /// </summary>
    internal Tensor(TensorStorage storage, int[] shape, long[] strides, long offset, bool register = true)
    {
        _storage = storage;
        _shape = shape;
        _strides = strides;
        _offset = offset;
        long n = 1;
        foreach (int d in shape) n *= d;
        _numel = n;
        _dtype = storage.DType;
        Interlocked.Increment(ref _liveCount);
        Serial = Interlocked.Increment(ref _created);
        if (register) TensorScope.Track(this);
        if (GradMode.IsInference) IsInference = true;
    }

    /// <summary>Finalizer: releases the storage reference of a tensor nobody disposed.</summary>
    ~Tensor() => Release(finalizing: true);

    /// <summary>Number of tensors created and not yet disposed or finalized, process-wide.</summary>
    public static long LiveCount => Interlocked.Read(ref _liveCount);

    /// <summary>Bytes of native storage held by live tensors, process-wide (views share their storage's bytes).</summary>
    public static long LiveBytes => TensorStorage.LiveBytes;

    /// <summary>
    /// Bytes of freed tensor storage that the storage pool keeps for reuse (not counted in <see cref="LiveBytes"/>).
    /// Storages of 64 KiB and more are pooled by size class (a request of b bytes reserves at most b·9/8), so a
    /// training loop that frees and allocates the same shapes every step neither page-faults fresh memory nor
    /// prompts a garbage collection for it. The cache is bounded by <see cref="StorageCacheLimit"/>.
    /// </summary>
    public static long CachedBytes => StoragePool.CachedBytes;

    /// <summary>
    /// Upper bound on <see cref="CachedBytes"/>, in bytes; 0 turns pooling off. Defaults to the environment variable
    /// ADJOINT_STORAGE_CACHE_BYTES, else 256 MiB. Lowering it frees cached blocks down to the new bound.
    /// </summary>
    public static long StorageCacheLimit
    {
        get => StoragePool.CapBytes;
        set => StoragePool.CapBytes = value;
    }

    /// <summary>Returns every cached storage block to the operating system (<see cref="CachedBytes"/> becomes 0).</summary>
    public static void ReleaseCachedMemory() => StoragePool.Trim();

    /// <summary>The element type.</summary>
    public DType DType
    {
        get { ThrowIfDisposed(); return _dtype; }
    }

    /// <summary>The extent of each dimension; empty for a 0-d (scalar) tensor.</summary>
    public ReadOnlySpan<int> Shape
    {
        get { ThrowIfDisposed(); return _shape; }
    }

    /// <summary>The distance in elements between neighbours along each dimension (0 for broadcast dimensions).</summary>
    public ReadOnlySpan<long> Strides
    {
        get { ThrowIfDisposed(); return _strides; }
    }

    /// <summary>Position of element [0, …, 0] in the storage, in elements.</summary>
    public long Offset
    {
        get { ThrowIfDisposed(); return _offset; }
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank
    {
        get { ThrowIfDisposed(); return _shape.Length; }
    }

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a 0-d tensor).</summary>
    public long NumElements
    {
        get { ThrowIfDisposed(); return _numel; }
    }

    /// <summary>True once <see cref="Dispose"/> ran (or the finalizer released the tensor).</summary>
    public bool IsDisposed => Volatile.Read(ref _storage) is null;

    /// <summary>
    /// True when the elements lie in row-major order without gaps: stride[i] = Π_{j&gt;i} shape[j] for every
    /// dimension of extent greater than 1. Empty tensors are contiguous.
    /// </summary>
    public bool IsContiguous
    {
        get { ThrowIfDisposed(); return Shapes.IsContiguous(_shape, _strides); }
    }

    /// <summary>The extent of dimension <paramref name="dim"/>; negative values count from the end (-1 is the last).</summary>
    public int Size(int dim)
    {
        ThrowIfDisposed();
        return _shape[Shapes.NormalizeAxis("Size", dim, _shape.Length, nameof(dim))];
    }

    /// <summary>Releases the tensor's reference to its storage now. Idempotent.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release(bool finalizing = false)
    {
        TensorStorage? s = Interlocked.Exchange(ref _storage, null);
        if (s is null) return;
        s.Release(finalizing);
        Interlocked.Decrement(ref _liveCount);
    }

    internal void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _storage) is null) ThrowDisposed();
    }

    private void ThrowDisposed() => throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed.");

    // ---- internal access for the kernels layer: no disposal checks beyond the storage lookup ----

    /// <summary>
    /// Creation order, process-wide: a tensor with a serial above <see cref="CreatedCount"/> read at some moment was
    /// created after it. The engine uses this to recognise gradients a backward rule has just made (see Note [Fresh gradients]).
    /// </summary>
    internal long Serial { get; }

    /// <summary>How many tensors have been created so far, process-wide (the latest <see cref="Serial"/>).</summary>
    internal static long CreatedCount => Interlocked.Read(ref _created);

    /// <summary>The scope that will dispose this tensor, if any (see <see cref="TensorScope.MoveToOuter"/>).</summary>
    internal TensorScope? OwnerScope { get; set; }

    internal TensorStorage Storage => _storage ?? throw new ObjectDisposedException(nameof(Tensor), "The tensor was disposed.");

    internal int[] ShapeArray => _shape;

    internal long[] StrideArray => _strides;

    internal long OffsetValue => _offset;

    internal long Count => _numel;

    /// <summary>The storage's version counter, shared by all views; bumped by every in-place write.</summary>
    internal int Version => Storage.Version;

    /// <summary>Address of element [0, …, 0]. Callers keep the tensor alive (GC.KeepAlive) while using it.</summary>
    internal void* DataPointer => (byte*)Storage.Pointer + _offset * _dtype.ElementSize();

    internal DType ElementType => _dtype;
}
