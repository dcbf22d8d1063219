namespace Adjoint;

/// <summary>
/// The straight-through estimator for rounding (Bengio et al., 2013): forward y = round(x), backward passes the
/// gradient through unchanged (∂L/∂x := ∂L/∂y), as used for quantization-aware training. A worked example of
/// <see cref="CustomFunction"/>: its Backward is differentiable (the identity), so double backward works.
/// </summary>
public sealed class StraightThroughRound : CustomFunction
{
    /// <summary>Rounds half to even.</summary>
    protected override Tensor[] Forward(FunctionContext ctx, Tensor[] inputs) => [inputs[0].Round()];

    /// <summary>The identity: the gradient of round is replaced by that of x ↦ x.</summary>
    protected override Tensor?[] Backward(FunctionContext ctx, Tensor[] gradOutputs) => [gradOutputs[0]];

    /// <summary>Forward mode: the tangent passes through as well.</summary>
    protected override Tensor?[] Jvp(FunctionContext ctx, Tensor?[] tangents) => [tangents[0]];
}
