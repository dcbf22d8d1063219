using System.Numerics;
using System.Numerics.Tensors;
using Adjoint.Interop;

namespace Adjoint.Backends;

/// <summary>
/// The pure C# implementation of every kernel in adjoint.h, with the same semantics (NaN handling, tie
/// rules, empty extents). It is the fallback when the native library cannot load and the second opinion the
/// native kernels are compared against. Contiguous loops use <see cref="TensorPrimitives"/>; strided loops
/// run over <see cref="StridedLoop"/>.
/// </summary>
public sealed unsafe partial class ManagedBackend : IBackend
{
    // Spans are int-indexed; longer runs are processed in chunks of this many elements.
    private const int Chunk = 1 << 30;

    /// <inheritdoc/>
    public string Name => "managed";

    /// <inheritdoc/>
    public void Fill(DType dtype, long n, double value, void* y)
    {
        CheckCount(n, nameof(n));
        CheckPointer(y, n, nameof(y));
        switch (dtype)
        {
            case DType.Float32: FillImpl((float*)y, n, (float)value); break;
            case DType.Float64: FillImpl((double*)y, n, value); break;
            default: throw BadDType(dtype);
        }
    }

    private static void FillImpl<T>(T* y, long n, T value) where T : unmanaged
    {
        for (long done = 0; done < n; done += Chunk)
            new Span<T>(y + done, (int)Math.Min(Chunk, n - done)).Fill(value);
    }

    /// <inheritdoc/>
    public void CopyStrided(DType dtype, ReadOnlySpan<long> shape, void* src, ReadOnlySpan<long> srcStrides,
                            void* dst, ReadOnlySpan<long> dstStrides)
    {
        CheckStrides(shape, srcStrides, nameof(srcStrides));
        CheckStrides(shape, dstStrides, nameof(dstStrides));
        long n = ShapeCount(shape);
        CheckPointer(src, n, nameof(src));
        CheckPointer(dst, n, nameof(dst));
        if (n == 0) return;
        switch (dtype)
        {
            // Bit copies: a copy must not touch NaN payloads, so move the elements as integers.
            case DType.Float32: CopyImpl((uint*)src, srcStrides, (uint*)dst, dstStrides, shape); break;
            case DType.Float64: CopyImpl((ulong*)src, srcStrides, (ulong*)dst, dstStrides, shape); break;
            default: throw BadDType(dtype);
        }
    }

    private static void CopyImpl<T>(T* src, ReadOnlySpan<long> ss, T* dst, ReadOnlySpan<long> ds, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var loop = StridedLoop.Create(shape, ss, ds, default);
        long n = loop.InnerCount, si = loop.InnerStride0, di = loop.InnerStride1;
        for (long o = 0; o < loop.OuterCount; o++, loop.Advance())
        {
            T* s = src + loop.Offset0;
            T* d = dst + loop.Offset1;
            if (si == 1 && di == 1)
            {
                Buffer.MemoryCopy(s, d, n * sizeof(T), n * sizeof(T));
            }
            else if (si == 0)
            {
                T v = *s;
                for (long i = 0; i < n; i++) d[i * di] = v;
            }
            else
            {
                for (long i = 0; i < n; i++) d[i * di] = s[i * si];
            }
        }
    }

    /// <inheritdoc/>
    public void Cast(DType srcDType, void* src, DType dstDType, void* dst, long n)
    {
        CheckCount(n, nameof(n));
        CheckPointer(src, n, nameof(src));
        CheckPointer(dst, n, nameof(dst));
        if (srcDType is not (DType.Float32 or DType.Float64)) throw BadDType(srcDType);
        if (dstDType is not (DType.Float32 or DType.Float64)) throw BadDType(dstDType);
        if (srcDType == dstDType)
        {
            long bytes = n * srcDType.ElementSize();
            if (src != dst) Buffer.MemoryCopy(src, dst, bytes, bytes);
        }
        else if (srcDType == DType.Float64)
        {
            double* s = (double*)src;
            float* d = (float*)dst;
            for (long i = 0; i < n; i++) d[i] = (float)s[i]; // round to nearest even, ±Inf on overflow
        }
        else
        {
            float* s = (float*)src;
            double* d = (double*)dst;
            for (long i = 0; i < n; i++) d[i] = s[i];
        }
    }

    // ---- argument checks (last line of defence; the tensor layer reports user errors) ----

    private static void CheckCount(long n, string name)
    {
        if (n < 0) throw new ArgumentException($"ManagedBackend: {name} = {n} must not be negative.", name);
    }

    private static void CheckPointer(void* p, long count, string name)
    {
        if (p == null && count > 0) throw new ArgumentException($"ManagedBackend: {name} is null but addresses {count} elements.", name);
    }

    private static void CheckStrides(ReadOnlySpan<long> shape, ReadOnlySpan<long> strides, string name)
    {
        if (strides.Length != shape.Length)
            throw new ArgumentException($"ManagedBackend: {name} has {strides.Length} entries for a shape of rank {shape.Length}.", name);
        if (shape.Length > 16)
            throw new ArgumentException($"ManagedBackend: rank {shape.Length} exceeds the kernel limit of 16.", name);
    }

    private static long ShapeCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"ManagedBackend: negative extent {d} in shape.", nameof(shape));
            n *= d;
        }
        return n;
    }

    private static ArgumentException BadDType(DType dtype) =>
        new($"ManagedBackend: unsupported dtype {dtype}.", nameof(dtype));

    private static ArgumentException BadOp<TOp>(TOp op) where TOp : struct, Enum =>
        new($"ManagedBackend: unknown {typeof(TOp).Name} value {op}.", nameof(op));

    private static T Cast<T>(double v) where T : INumberBase<T> => T.CreateTruncating(v);
}
