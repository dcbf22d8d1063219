using System.Runtime.CompilerServices;

namespace Adjoint.Backends;

/// <summary>Sixteen int64 slots on the stack: the rank limit of the kernels (adjoint.h: ndim &lt;= 16).</summary>
[InlineArray(16)]
internal struct Dims16
{
    private long _element0;
}

/// <summary>
/// Walks up to three strided operands over one shape: the outer dimensions by an odometer, the last one left
/// to the caller as an inner loop. Dimensions of extent 1 are dropped and neighbours that are contiguous in
/// every operand are merged first, so the inner loop is as long as the layouts allow.
/// </summary>
internal struct StridedLoop
{
    private Dims16 _shape, _s0, _s1, _s2, _index;
    private int _rank;

    /// <summary>Number of inner runs (product of the outer extents); 0 when the shape is empty.</summary>
    public long OuterCount;

    public long InnerCount;

    public long InnerStride0, InnerStride1, InnerStride2;

    /// <summary>Element offsets of the current inner run's first element in each operand.</summary>
    public long Offset0, Offset1, Offset2;

    public static StridedLoop Create(ReadOnlySpan<long> shape, ReadOnlySpan<long> s0, ReadOnlySpan<long> s1, ReadOnlySpan<long> s2)
    {
        var loop = new StridedLoop();
        if (shape.Length > 16) throw new ArgumentException($"Rank {shape.Length} exceeds the kernel limit of 16.", nameof(shape));
        int r = 0;
        bool empty = false;
        for (int d = 0; d < shape.Length; d++)
        {
            long n = shape[d];
            if (n < 0) throw new ArgumentException($"Negative extent {n} at dimension {d}.", nameof(shape));
            if (n == 0) empty = true;
            if (n == 1) continue;
            long a = s0.IsEmpty ? 0 : s0[d], b = s1.IsEmpty ? 0 : s1[d], c = s2.IsEmpty ? 0 : s2[d];
            if (r > 0 && loop._s0[r - 1] == a * n && loop._s1[r - 1] == b * n && loop._s2[r - 1] == c * n)
            {
                loop._shape[r - 1] *= n;
                loop._s0[r - 1] = a;
                loop._s1[r - 1] = b;
                loop._s2[r - 1] = c;
            }
            else
            {
                loop._shape[r] = n;
                loop._s0[r] = a;
                loop._s1[r] = b;
                loop._s2[r] = c;
                r++;
            }
        }
        if (r == 0)
        {
            loop._shape[0] = 1;
            r = 1;
        }
        loop._rank = r;
        loop.InnerCount = loop._shape[r - 1];
        loop.InnerStride0 = loop._s0[r - 1];
        loop.InnerStride1 = loop._s1[r - 1];
        loop.InnerStride2 = loop._s2[r - 1];
        long outer = 1;
        for (int d = 0; d < r - 1; d++) outer *= loop._shape[d];
        loop.OuterCount = empty ? 0 : outer;
        return loop;
    }

    /// <summary>Moves the offsets to the next inner run (row-major order).</summary>
    public void Advance()
    {
        for (int d = _rank - 2; d >= 0; d--)
        {
            _index[d]++;
            Offset0 += _s0[d];
            Offset1 += _s1[d];
            Offset2 += _s2[d];
            if (_index[d] < _shape[d]) return;
            Offset0 -= _s0[d] * _shape[d];
            Offset1 -= _s1[d] * _shape[d];
            Offset2 -= _s2[d] * _shape[d];
            _index[d] = 0;
        }
    }

    /// <summary>Back to the first inner run.</summary>
    public void Reset()
    {
        for (int d = 0; d < _rank; d++) _index[d] = 0;
        Offset0 = Offset1 = Offset2 = 0;
    }
}
