namespace Adjoint.NN;

/// <summary>
/// A lookup table: row i of the weight [count, dim] is the embedding of index i. The gradient adds into the
/// looked-up rows (repeated indices accumulate). The weight starts as N(0, 1), as in PyTorch.
/// </summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table.</summary>
    public Embedding(int count, int dim, DType dtype = DType.Float32, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        Count = count;
        Dim = dim;
        Weight = RegisterParameter("weight", Tensor.Randn([count, dim], dtype, generator));
    }

    /// <summary>Number of rows (valid indices are 0 … Count − 1).</summary>
    public int Count { get; }

    /// <summary>Embedding size.</summary>
    public int Dim { get; }

    /// <summary>The table, [count, dim].</summary>
    public Parameter Weight { get; }

    /// <summary>The rows at <paramref name="indices"/>: shape [indices.Length, dim].</summary>
    public Tensor Forward(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        foreach (int i in indices)
            if (i < 0 || i >= Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"Embedding: index {i} is out of range for {Count} rows.");
        return Weight.Value.IndexSelect(0, indices);
    }

    /// <summary>
    /// Indices given as a tensor of whole numbers (any shape S, any dtype): result shape S + [dim].
    /// </summary>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var values = input.To(DType.Float64).ToArray<double>();
        var idx = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            if (v != Math.Floor(v)) throw new ArgumentException($"Embedding: index {v} is not a whole number.", nameof(input));
            idx[i] = (int)v;
        }
        var rows = Forward(idx);
        return rows.Reshape([.. input.Shape.ToArray(), Dim]);
    }

    /// <inheritdoc />
    protected override string Describe() => $"Embedding({Count}, {Dim})";
}
