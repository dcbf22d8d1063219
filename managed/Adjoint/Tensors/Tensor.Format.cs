using System.Globalization;
using System.Text;

namespace Adjoint;

public sealed unsafe partial class Tensor
{
    // As in PyTorch: above this many elements, each dimension shows its first and last EdgeItems entries.
    private const long ElideAbove = 1000;
    private const int EdgeItems = 3;

    /// <summary>
    /// The values in PyTorch style followed by shape and dtype, e.g.
    /// <c>tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]], shape=[2,2], dtype=Float32)</c>. Tensors with
    /// more than 1000 elements show only the first and last three entries of each dimension, with "...".
    /// Integral values print as <c>1.</c>; very large or small magnitudes switch to scientific notation.
    /// </summary>
    public override string ToString()
    {
        ThrowIfDisposed();
        bool elide = _numel > ElideAbove;
        var format = ChooseFormat(elide);
        var sb = new StringBuilder("tensor(");
        Render(sb, 0, 0, elide, format);
        if (_numel == 0 && _shape.Length > 0) sb.Clear().Append("tensor([]");
        sb.Append(", shape=").Append(Shapes.Format(_shape)).Append(", dtype=").Append(_dtype).Append(')');
        GC.KeepAlive(this);
        return sb.ToString();
    }

    private double ReadAt(long elementOffset) =>
        _dtype == DType.Float32 ? ((float*)DataPointer)[elementOffset] : ((double*)DataPointer)[elementOffset];

    private sealed record NumberFormat(Func<double, string> Text, int Width);

    private NumberFormat ChooseFormat(bool elide)
    {
        bool integral = true;
        double maxAbs = 0, minAbs = double.PositiveInfinity;
        VisitShown(0, 0, elide, v =>
        {
            if (!double.IsFinite(v)) return;
            if (v != Math.Floor(v)) integral = false;
            double a = Math.Abs(v);
            maxAbs = Math.Max(maxAbs, a);
            if (a > 0) minAbs = Math.Min(minAbs, a);
        });
        bool scientific = maxAbs >= 1e8 || (!integral && minAbs < 1e-4);
        var inv = CultureInfo.InvariantCulture;
        Func<double, string> text = v =>
            double.IsNaN(v) ? "nan" :
            double.IsPositiveInfinity(v) ? "inf" :
            double.IsNegativeInfinity(v) ? "-inf" :
            scientific ? v.ToString("0.0000e+00", inv) :
            integral ? v.ToString("0", inv) + "." :
            v.ToString("0.0000", inv);
        int width = 0;
        VisitShown(0, 0, elide, v => width = Math.Max(width, text(v).Length));
        return new NumberFormat(text, width);
    }

    private void VisitShown(int dim, long offset, bool elide, Action<double> visit)
    {
        if (dim == _shape.Length)
        {
            visit(ReadAt(offset));
            return;
        }
        int n = _shape[dim];
        for (int i = 0; i < n; i++)
        {
            if (elide && n > 2 * EdgeItems && i == EdgeItems) i = n - EdgeItems;
            VisitShown(dim + 1, offset + i * _strides[dim], elide, visit);
        }
    }

    private void Render(StringBuilder sb, int dim, long offset, bool elide, NumberFormat format)
    {
        if (dim == _shape.Length)
        {
            sb.Append(format.Text(ReadAt(offset)).PadLeft(format.Width));
            return;
        }
        int n = _shape[dim];
        bool last = dim == _shape.Length - 1;
        string indent = new(' ', "tensor(".Length + dim + 1);
        string separator = last ? ", " : "," + new string('\n', _shape.Length - dim - 1) + indent;
        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(separator);
            if (elide && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append("...").Append(separator);
                i = n - EdgeItems;
            }
            Render(sb, dim + 1, offset + i * _strides[dim], elide, format);
        }
        sb.Append(']');
    }
}
