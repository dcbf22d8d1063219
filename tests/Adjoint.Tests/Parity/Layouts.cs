using NUnit.Framework;
namespace Adjoint.Tests.Parity;

/// <summary>A strided view into a <see cref="RawBuffer"/>: shape, strides (elements, may be 0 or negative) and offset.</summary>
internal sealed class Layout
{
    public Layout(long[] shape, long[] strides, long offset, long extent)
    {
        Shape = shape;
        Strides = strides;
        Offset = offset;
        Extent = extent;
    }

    public long[] Shape { get; }

    public long[] Strides { get; }

    /// <summary>Element index of the view's [0,…,0] within the buffer.</summary>
    public long Offset { get; }

    /// <summary>Buffer elements the view can reach (at least 1, so every buffer has an address).</summary>
    public long Extent { get; }

    public long NumElements => Shape.Aggregate(1L, (a, b) => a * b);

    public unsafe void* At(RawBuffer buffer) => (byte*)buffer.Pointer + Offset * buffer.DType.ElementSize();

    public static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = s;
            s *= Math.Max(shape[d], 1);
        }
        return strides;
    }

    public static Layout Contiguous(long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return new Layout(shape, ContiguousStrides(shape), 0, Math.Max(n, 1));
    }

    /// <summary>
    /// A random layout: dims stored in a random order, with gaps, some reversed (negative strides), and, when
    /// <paramref name="broadcast"/>, some of stride 0. Distinct indices map to distinct elements unless broadcast.
    /// </summary>
    public static Layout Random(Random rng, long[] shape, bool broadcast, bool negative = true)
    {
        int rank = shape.Length;
        var order = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
        var strides = new long[rank];
        long step = 1 + rng.Next(2);
        foreach (int d in order.Reverse())
        {
            if (broadcast && rng.NextDouble() < 0.3)
            {
                strides[d] = 0;
                continue;
            }
            strides[d] = step;
            step *= Math.Max(shape[d], 1) + (rng.NextDouble() < 0.3 ? 1 : 0);
        }
        long offset = 0, max = 0;
        bool empty = shape.Any(s => s == 0);
        for (int d = 0; d < rank; d++)
        {
            if (negative && strides[d] != 0 && rng.NextDouble() < 0.25) strides[d] = -strides[d];
            if (empty) continue;
            long reach = strides[d] * (shape[d] - 1);
            if (reach < 0) offset -= reach;
            else max += reach;
        }
        return new Layout(shape, strides, offset, empty ? 1 : offset + max + 1);
    }

    public static long[] RandomShape(Random rng, int maxRank = 4, int maxExtent = 6)
    {
        int rank = rng.Next(maxRank + 1);
        var shape = new long[rank];
        for (int d = 0; d < rank; d++)
            shape[d] = rng.NextDouble() < 0.08 ? 0 : 1 + rng.Next(maxExtent);
        return shape;
    }

    public override string ToString() =>
        $"shape [{string.Join(",", Shape)}] strides [{string.Join(",", Strides)}] offset {Offset}";
}
