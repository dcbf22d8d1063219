using System.Text;

namespace Adjoint;

/// <summary>Shape arithmetic and the wording of shape errors, shared by the public ops and the kernels layer.</summary>
internal static class Shapes
{
    public const int MaxRank = 16;

    public static string Format(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(shape[i]);
        }
        return sb.Append(']').ToString();
    }

    public static long NumElements(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape) n = checked(n * d);
        return n;
    }

    public static long[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }
        return strides;
    }

    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides)
    {
        long expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 0) return true;
            if (shape[i] == 1) continue;
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>Maps a possibly negative axis to [0, rank); the message names the op.</summary>
    public static int NormalizeAxis(string op, int axis, int rank, string paramName = "axis")
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(paramName, axis,
                $"{op}: axis {axis} is out of range for a tensor of rank {rank}.");
        return a;
    }

    /// <summary>Normalised, sorted, duplicate-free axes; null means all axes.</summary>
    public static int[] NormalizeAxes(string op, int[]? axes, int rank)
    {
        if (axes is null)
        {
            var all = new int[rank];
            for (int i = 0; i < rank; i++) all[i] = i;
            return all;
        }
        var result = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = NormalizeAxis(op, axes[i], rank, nameof(axes));
            for (int j = 0; j < i; j++)
                if (result[j] == a)
                    throw new ArgumentException($"{op}: axis {axes[i]} appears more than once in the axes.", nameof(axes));
            result[i] = a;
        }
        Array.Sort(result);
        return result;
    }

    public static void ValidateShape(string op, ReadOnlySpan<int> shape)
    {
        if (shape.Length > MaxRank)
            throw new TensorShapeException($"{op}: rank {shape.Length} exceeds the maximum of {MaxRank}, shape {Format(shape)}.");
        foreach (int d in shape)
            if (d < 0)
                throw new TensorShapeException($"{op}: negative dimension {d} in shape {Format(shape)}.");
        // The byte size (8 bytes per element at most) must fit in 64 bits; otherwise the size computation itself
        // would overflow. A zero extent makes any shape empty.
        long elements = 1;
        bool overflow = false;
        foreach (int d in shape)
        {
            if (d == 0) return;
            if (elements > long.MaxValue / 8 / d) overflow = true;
            else elements *= d;
        }
        if (overflow)
            throw new TensorShapeException($"{op}: shape {Format(shape)} has more elements than any memory can hold (its size in bytes overflows 64 bits).");
    }

    /// <summary>NumPy broadcasting: align trailing dimensions; each pair must be equal or contain a 1.</summary>
    public static int[] Broadcast(string op, int[] a, int[] b)
    {
        // Shape arrays are immutable once built, so the common equal-shape case can share one.
        if (a.AsSpan().SequenceEqual(b)) return a;
        return Broadcast(op, a.AsSpan(), b.AsSpan());
    }

    /// <summary>NumPy broadcasting over spans (always a new array).</summary>
    public static int[] Broadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da == db || db == 1) result[i] = da;
            else if (da == 1) result[i] = db;
            else throw new TensorShapeException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast.");
        }
        return result;
    }

    /// <summary>Strides that read a tensor of <paramref name="shape"/>/<paramref name="strides"/> as if it had <paramref name="target"/> shape (zero for broadcast dims).</summary>
    public static long[] BroadcastStrides(int[] shape, long[] strides, int[] target)
    {
        if (ReferenceEquals(shape, target) || shape.AsSpan().SequenceEqual(target)) return strides;
        return BroadcastStrides(shape.AsSpan(), strides.AsSpan(), target.AsSpan());
    }

    /// <summary>Broadcast strides over spans (always a new array).</summary>
    public static long[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, ReadOnlySpan<int> target)
    {
        var result = new long[target.Length];
        int lead = target.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
            result[lead + i] = shape[i] == 1 && target[lead + i] != 1 ? 0 : strides[i];
        return result;
    }

    public static bool SameShape(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Resolves one -1 in a requested shape against <paramref name="numel"/> elements.</summary>
    public static int[] InferShape(string op, ReadOnlySpan<int> current, long numel, int[] requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        var shape = (int[])requested.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new TensorShapeException($"{op}: only one dimension can be -1, got {Format(requested)}.");
                infer = i;
            }
            else if (shape[i] < 0)
                throw new TensorShapeException($"{op}: negative dimension {shape[i]} in shape {Format(requested)}.");
            else known *= shape[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new TensorShapeException($"{op}: cannot reshape a tensor of shape {Format(current)} into {Format(requested)}.");
            shape[infer] = checked((int)(numel / known));
        }
        else if (known != numel)
            throw new TensorShapeException($"{op}: cannot reshape a tensor of shape {Format(current)} ({numel} elements) into {Format(requested)} ({known} elements).");
        if (shape.Length > MaxRank)
            throw new TensorShapeException($"{op}: rank {shape.Length} exceeds the maximum of {MaxRank}.");
        return shape;
    }

    /// <summary>
    /// Strides that let a tensor of (<paramref name="shape"/>, <paramref name="strides"/>) be read with
    /// <paramref name="newShape"/> without copying, or null when the layout does not allow it. Dimensions are
    /// grouped into chunks that are contiguous among themselves; each chunk must map to whole new dimensions.
    /// </summary>
    public static long[]? ViewStrides(ReadOnlySpan<int> shape, ReadOnlySpan<long> strides, ReadOnlySpan<int> newShape)
    {
        long numel = NumElements(shape);
        if (numel == 0 || shape.Length == 0) return ContiguousStrides(newShape);
        var result = new long[newShape.Length];
        int viewDim = newShape.Length - 1;
        long chunkBaseStride = strides[^1];
        long tensorNumel = 1, viewNumel = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            tensorNumel *= shape[d];
            if (d == 0 || (shape[d - 1] != 1 && strides[d - 1] != tensorNumel * chunkBaseStride))
            {
                while (viewDim >= 0 && (viewNumel < tensorNumel || newShape[viewDim] == 1))
                {
                    result[viewDim] = viewNumel * chunkBaseStride;
                    viewNumel *= newShape[viewDim];
                    viewDim--;
                }
                if (viewNumel != tensorNumel) return null;
                if (d > 0)
                {
                    chunkBaseStride = strides[d - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewDim == -1 ? result : null;
    }
}
