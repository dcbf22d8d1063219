namespace Adjoint.NN;

/// <summary>
/// A trainable tensor of a <see cref="Module"/>: a leaf that requires grad. Converts implicitly to
/// <see cref="Tensor"/>, so it can be used wherever a tensor is expected (<c>x.MatMul(weight.Value.T)</c>,
/// <c>x * scale</c>). The wrapped tensor never changes identity: optimizers and
/// <see cref="Module.LoadStateDict"/> write into it in place (bumping its version counter).
/// </summary>
public sealed class Parameter
{
    /// <summary>Wraps <paramref name="data"/> (detached, so the parameter is a leaf) and marks it as requiring grad.</summary>
    /// <param name="data">The initial values; the parameter shares its storage.</param>
    /// <param name="requiresGrad">False freezes the parameter (it still belongs to the state dict).</param>
    public Parameter(Tensor data, bool requiresGrad = true)
    {
        ArgumentNullException.ThrowIfNull(data);
        Value = data.IsLeaf ? data : data.Detach();
        Value.RequiresGrad = requiresGrad;
    }

    /// <summary>The parameter's tensor (a leaf).</summary>
    public Tensor Value { get; }

    /// <summary>The accumulated gradient of <see cref="Value"/>, null before the first backward or after <see cref="ZeroGrad"/>.</summary>
    public Tensor? Grad
    {
        get => Value.Grad;
        set => Value.Grad = value;
    }

    /// <summary>Whether backward computes a gradient for this parameter (false = frozen).</summary>
    public bool RequiresGrad
    {
        get => Value.RequiresGrad;
        set => Value.RequiresGrad = value;
    }

    /// <summary>The shape of <see cref="Value"/>.</summary>
    public ReadOnlySpan<int> Shape => Value.Shape;

    /// <summary>The element type of <see cref="Value"/>.</summary>
    public DType DType => Value.DType;

    /// <summary>Number of elements.</summary>
    public long NumElements => Value.NumElements;

    /// <summary>Drops the gradient (sets <see cref="Grad"/> to null).</summary>
    public void ZeroGrad() => Value.ZeroGrad();

    /// <summary>The wrapped tensor.</summary>
    public static implicit operator Tensor(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return parameter.Value;
    }

    /// <summary>The wrapped tensor (named alternative to the implicit conversion).</summary>
    public Tensor ToTensor() => Value;

    /// <inheritdoc />
    public override string ToString() => $"Parameter {Shapes.Format(Value.ShapeArray)} {Value.DType}";
}
