using Adjoint.Interop;

// Rules refer to other rows (a VJP calls the op it transposes). The lambdas run only after every static field
// is initialised, so the compiler's may-be-null warning about those references does not apply here.
#pragma warning disable CS8604

namespace Adjoint;

/// <summary>Attributes of a reduction: the normalized, sorted axes and whether reduced dims are kept.</summary>
internal sealed record ReduceAttrs(int[] Axes, bool KeepDims);

/// <summary>Attributes of a one-axis op (softmax, log-softmax, logsumexp, concat).</summary>
internal sealed record AxisAttrs(int Axis, bool KeepDims = true);

/// <summary>
/// The derivative table: every differentiable primitive of Adjoint, one row each, holding its forward kernel,
/// its VJP (reverse mode) and its JVP (forward mode). In the elementwise rows the single expression v·f′ gives
/// both rules. Rules are written with differentiable tensor ops, so <c>createGraph</c> works for every row;
/// <c>fused</c> names a native backward kernel used when no graph is being created.
/// A test enumerates this class by reflection and gradchecks every row (see Note [Table coverage]).
/// </summary>
internal static class Derivatives
{
    // ---- elementwise unary: chain(x, y, v) = v·f′(x) ------------------------------------------------------

    public static readonly OpRow Neg = OpRow.Linear("Neg", (i, _) => Kernels.Unary(UnaryOp.Neg, i[0]),
        (t, _) => -t[0], (_, g) => [-g[0]!], tangentBroadcasts: true);

    // Where f′ takes more than one op to write, the chain is a row of its own (the backward rows below), so a
    // recorded or forward-differentiated backward pass runs one fused kernel per activation (Note [Backward rows]).
    public static readonly OpRow Abs = Unary("Abs", UnaryOp.Abs, Saves.Input0, (x, _, v) => Ops.Call(AbsBackward, null, x!, v));
    public static readonly OpRow Exp = Unary("Exp", UnaryOp.Exp, Saves.Output, (_, y, v) => v * y!);
    public static readonly OpRow Log = Unary("Log", UnaryOp.Log, Saves.Input0, (x, _, v) => v / x!);
    public static readonly OpRow Sqrt = Unary("Sqrt", UnaryOp.Sqrt, Saves.Output, (_, y, v) => v / (y! * 2.0));
    public static readonly OpRow Sin = Unary("Sin", UnaryOp.Sin, Saves.Input0, (x, _, v) => Ops.Call(SinBackward, null, x!, v));
    public static readonly OpRow Cos = Unary("Cos", UnaryOp.Cos, Saves.Input0, (x, _, v) => Ops.Call(CosBackward, null, x!, v));
    public static readonly OpRow Tanh = Unary("Tanh", UnaryOp.Tanh, Saves.Output, (_, y, v) => Ops.Call(TanhBackward, null, y!, v));
    public static readonly OpRow Sigmoid = Unary("Sigmoid", UnaryOp.Sigmoid, Saves.Output, (_, y, v) => Ops.Call(SigmoidBackward, null, y!, v));
    // relu′(0) = 0: the step is 1 only where x > 0.
    public static readonly OpRow Relu = Unary("Relu", UnaryOp.Relu, Saves.Input0, (x, _, v) => Ops.Call(ReluBackward, null, x!, v));
    public static readonly OpRow Softplus = Unary("Softplus", UnaryOp.Softplus, Saves.Input0, (x, _, v) => Ops.Call(SoftplusBackward, null, x!, v));

    // ---- backward rows of unary ops: z = g·f′(s), s the forward input x or output y -------------------------

    // Note [Backward rows]
    // Written as ops, tanh's chain g·(1 − y²) is three ops; when the backward pass is itself differentiated in
    // forward mode (Functional.Hvp: forward-over-reverse) each op also runs the product rule on its tangents, about
    // ten elementwise passes per activation. As a row of its own, z = g·f′(s) runs the fused backward kernel
    // (adj_unary_backward) as its forward, and its derivatives come from two expressions:
    //   ∂z/∂g = f′(s)      — the row itself: the VJP for g is row(s, v), the JVP term row(s, ġ);
    //   ∂z/∂s = g·f″(s)    — `second(s, g, w)` = w·g·f″(s): the VJP for s with w = v, the JVP term with w = ṡ.
    // Both are written with table ops (often other backward rows), so z can be differentiated again to any order.
    // When nothing watches the tangent computation (JvpContext.Unwatched: the backward pass inside Hvp), the JVP
    // runs the same expressions on raw kernels with in-place updates (`secondRaw`): 3–6 passes, no graph, and its
    // temporaries go back to the storage pool at once.

    /// <summary>g·(1 − y²), y = tanh x. Inputs (y, g).</summary>
    public static readonly OpRow TanhBackward = BackwardRow("TanhBackward", UnaryOp.Tanh, readsOutput: true,
        second: (y, g, w) => w * g * y * -2.0,
        secondRaw: (y, g, w) =>
        {
            var p = Kernels.Binary(BinaryOp.Mul, w, g, register: false);
            Kernels.BinaryInto(BinaryOp.Mul, p, y);
            Kernels.BinaryInto(BinaryOp.Mul, p, -2.0);
            return p;
        });

    /// <summary>g·y·(1 − y), y = σ(x). Inputs (y, g).</summary>
    public static readonly OpRow SigmoidBackward = BackwardRow("SigmoidBackward", UnaryOp.Sigmoid, readsOutput: true,
        second: (y, g, w) => w * g * (1.0 - y * 2.0),
        secondRaw: (y, g, w) =>
        {
            // w·g·(1 − 2y) = p − 2·p·y with p = w·g.
            var p = Kernels.Binary(BinaryOp.Mul, w, g, register: false);
            using var q = Kernels.Binary(BinaryOp.Mul, p, y, register: false);
            Kernels.BinaryInto(BinaryOp.Sub, p, q);
            Kernels.BinaryInto(BinaryOp.Sub, p, q);
            return p;
        });

    /// <summary>g where x &gt; 0, else 0 (relu′(0) = 0). Inputs (x, g); f″ = 0 almost everywhere.</summary>
    public static readonly OpRow ReluBackward = BackwardRow("ReluBackward", UnaryOp.Relu, readsOutput: false, second: null, secondRaw: null);

    /// <summary>g·sign(x) (abs′(0) = 0). Inputs (x, g); f″ = 0 almost everywhere.</summary>
    public static readonly OpRow AbsBackward = BackwardRow("AbsBackward", UnaryOp.Abs, readsOutput: false, second: null, secondRaw: null);

    /// <summary>g·cos x. Inputs (x, g); f″ = −sin x, so the s-term is CosBackward(x, w·g).</summary>
    public static readonly OpRow SinBackward = BackwardRow("SinBackward", UnaryOp.Sin, readsOutput: false,
        second: (x, g, w) => Ops.Call(CosBackward, null, x, w * g),
        secondRaw: (x, g, w) =>
        {
            using var p = Kernels.Binary(BinaryOp.Mul, w, g, register: false);
            return Kernels.UnaryBackward(UnaryOp.Cos, x, null, p);
        });

    /// <summary>−g·sin x. Inputs (x, g); f″ = −cos x, so the s-term is SinBackward(x, −w·g).</summary>
    public static readonly OpRow CosBackward = BackwardRow("CosBackward", UnaryOp.Cos, readsOutput: false,
        second: (x, g, w) => Ops.Call(SinBackward, null, x, w * g * -1.0),
        secondRaw: (x, g, w) =>
        {
            using var p = Kernels.Binary(BinaryOp.Mul, w, g, register: false);
            Kernels.BinaryInto(BinaryOp.Mul, p, -1.0);
            return Kernels.UnaryBackward(UnaryOp.Sin, x, null, p);
        });

    /// <summary>g·σ(x), the backward of softplus. Inputs (x, g); f″ = σ′(x), so the s-term is SigmoidBackward(σ(x), w·g).</summary>
    public static readonly OpRow SoftplusBackward = BackwardRow("SoftplusBackward", UnaryOp.Softplus, readsOutput: false,
        second: (x, g, w) => Ops.Call(SigmoidBackward, null, x.Sigmoid(), w * g),
        secondRaw: (x, g, w) =>
        {
            using var s = Kernels.Unary(UnaryOp.Sigmoid, x);
            using var p = Kernels.Binary(BinaryOp.Mul, w, g, register: false);
            return Kernels.UnaryBackward(UnaryOp.Sigmoid, null, s, p);
        });

    // ---- piecewise-constant helpers: no gradient, no node ------------------------------------------------

    /// <summary>sign(x) ∈ {−1, 0, 1} (0 at ±0, NaN stays NaN); derivative 0 almost everywhere.</summary>
    public static readonly OpRow Sign = Constant("Sign", (i, _) => ExtraKernels.Sign(i[0]));

    /// <summary>1 where x &gt; 0, else 0.</summary>
    public static readonly OpRow Step = Constant("Step", (i, _) => ExtraKernels.Step(i[0]));

    /// <summary>Round half to even; derivative 0 almost everywhere.</summary>
    public static readonly OpRow Round = Constant("Round", (i, _) => ExtraKernels.Round(i[0]));

    /// <summary>Elementwise comparison giving 1 or 0 (NaN compares false), broadcasting.</summary>
    public static readonly OpRow Compare = Constant("Compare", (i, a) => ExtraKernels.Compare((CompareOp)a!, i[0], i[1]));

    // ---- elementwise binary: chainA(a, b, y, v) = v·∂f/∂a, chainB = v·∂f/∂b ------------------------------

    public static readonly OpRow Add = Binary("Add", BinaryOp.Add, Saves.Nothing, (_, _, _, v) => v, (_, _, _, v) => v);
    public static readonly OpRow Sub = Binary("Sub", BinaryOp.Sub, Saves.Nothing, (_, _, _, v) => v, (_, _, _, v) => -v);
    public static readonly OpRow Mul = Binary("Mul", BinaryOp.Mul, Saves.Input0 | Saves.Input1, (_, b, _, v) => v * b!, (a, _, _, v) => v * a!);
    public static readonly OpRow Div = Binary("Div", BinaryOp.Div, Saves.Input0 | Saves.Input1,
        (_, b, _, v) => v / b!, (a, b, _, v) => -(v * a! / (b! * b!)));

    // ∂(aᵇ)/∂b = aᵇ·ln a, taken as 0 where a = 0 (the limit from a > 0 when b > 0), as PyTorch does.
    public static readonly OpRow Pow = Binary("Pow", BinaryOp.Pow, Saves.Input0 | Saves.Input1 | Saves.Output,
        (a, b, _, v) => v * b! * a!.Pow(b! - 1.0),
        (a, _, y, v) => (v * y! * a!.Log()).MaskedFill(a!.Eq(0.0), 0.0));

    // At a tie the gradient is split evenly between a and b: the mean of the one-sided derivatives, which is
    // also what a central difference measures there.
    public static readonly OpRow Maximum = Binary("Maximum", BinaryOp.Maximum, Saves.Input0 | Saves.Input1,
        (a, b, _, v) => v * TieSplit(a!, b!), (a, b, _, v) => v * TieSplit(b!, a!));

    public static readonly OpRow Minimum = Binary("Minimum", BinaryOp.Minimum, Saves.Input0 | Saves.Input1,
        (a, b, _, v) => v * TieSplit(b!, a!), (a, b, _, v) => v * TieSplit(a!, b!));

    /// <summary>1 where a &gt; b, ½ where a = b, 0 where a &lt; b.</summary>
    private static Tensor TieSplit(Tensor a, Tensor b) => a.Gt(b) + a.Eq(b) * 0.5;

    // ---- ops with a scalar attribute ---------------------------------------------------------------------

    public static readonly OpRow AddScalar = OpRow.Linear("AddScalar", (i, c) => Kernels.Binary(BinaryOp.Add, i[0], (double)c!),
        (t, _) => t[0], (_, g) => [g[0]], tangentBroadcasts: true);

    public static readonly OpRow MulScalar = OpRow.Linear("MulScalar", (i, c) => Kernels.Binary(BinaryOp.Mul, i[0], (double)c!),
        (t, c) => t[0] * (double)c!, (ctx, g) => [g[0]! * ctx.Attr<double>()], tangentBroadcasts: true);

    public static readonly OpRow DivScalar = OpRow.Linear("DivScalar", (i, c) => Kernels.Binary(BinaryOp.Div, i[0], (double)c!),
        (t, c) => t[0] / (double)c!, (ctx, g) => [g[0]! / ctx.Attr<double>()], tangentBroadcasts: true);

    /// <summary>c − x.</summary>
    public static readonly OpRow RSubScalar = OpRow.Linear("RSubScalar", (i, c) => Kernels.Binary(BinaryOp.Sub, (double)c!, i[0]),
        (t, _) => -t[0], (_, g) => [-g[0]!], tangentBroadcasts: true);

    /// <summary>c / x.</summary>
    public static readonly OpRow RDivScalar = OpRow.Elementwise("RDivScalar", (i, c) => Kernels.Binary(BinaryOp.Div, (double)c!, i[0]),
        Saves.Input0 | Saves.Output, (x, y, v) => -(v * y! / x!));

    /// <summary>xᶜ for a constant c.</summary>
    public static readonly OpRow PowScalar = new()
    {
        Name = "PowScalar",
        Forward = (i, c) => Kernels.Binary(BinaryOp.Pow, i[0], (double)c!),
        Saves = Saves.Input0,
        Vjp = (ctx, g) => [PowScalarChain(ctx.Input(0), ctx.Attr<double>(), g[0]!)],
        Jvp = (ctx, t) => t[0] is null ? null : PowScalarChain(ctx.Inputs[0], ctx.Attr<double>(), t[0]!),
        TangentBroadcasts = true,
        CotangentBroadcasts = true,
    };

    private static Tensor PowScalarChain(Tensor x, double c, Tensor v) =>
        c == 0 ? v * 0.0 : c == 1 ? v : c == 2 ? v * x * 2.0 : v * x.Pow(c - 1) * c;

    /// <summary>clamp(x, lo, hi); the gradient passes where lo ≤ x ≤ hi (bounds inclusive, as PyTorch).</summary>
    public static readonly OpRow Clamp = new()
    {
        Name = "Clamp",
        Forward = (i, a) => ExtraKernels.Clamp(i[0], ((double, double))a!),
        Saves = Saves.Input0,
        Vjp = (ctx, g) => [g[0]! * ClampMask(ctx.Input(0), ctx.Attr<(double, double)>())],
        Jvp = (ctx, t) => t[0] is null ? null : t[0]! * ClampMask(ctx.Inputs[0], ctx.Attr<(double, double)>()),
        TangentBroadcasts = true,
        CotangentBroadcasts = true,
    };

    private static Tensor ClampMask(Tensor x, (double Lo, double Hi) r) => x.Ge(r.Lo) * x.Le(r.Hi);

    // ---- selection ---------------------------------------------------------------------------------------

    /// <summary>where(cond, a, b); cond (attribute) is a 0/1 mask, not differentiated.</summary>
    public static readonly OpRow Where = new()
    {
        Name = "Where",
        Forward = (i, c) => ExtraKernels.Where((Tensor)c!, i[0], i[1]),
        Saves = Saves.Nothing,
        Vjp = (ctx, g) =>
        [
            ctx.NeedsInputGrad(0) ? ctx.SumToInput(Ops.Call(Where, ctx.Attrs, g[0]!, Tensor.Scalar(0, g[0]!.DType)), 0) : null,
            ctx.NeedsInputGrad(1) ? ctx.SumToInput(Ops.Call(Where, ctx.Attrs, Tensor.Scalar(0, g[0]!.DType), g[0]!), 1) : null,
        ],
        Jvp = (ctx, t) => t[0] is null && t[1] is null ? null
            : Ops.Call(Where, ctx.Attrs, t[0] ?? Tensor.ZerosLike(ctx.Inputs[0]), t[1] ?? Tensor.ZerosLike(ctx.Inputs[1])),
        TangentBroadcasts = true,
        CotangentBroadcasts = true,
    };

    // ---- reductions --------------------------------------------------------------------------------------

    public static readonly OpRow Sum = OpRow.Linear("Sum", (i, a) => Kernels.Reduce(ReduceOp.Sum, i[0], ((ReduceAttrs)a!).Axes, ((ReduceAttrs)a!).KeepDims, false, out _),
        (t, a) => Ops.Call(Sum, a, t[0]),
        (ctx, g) => [ExpandReduced(g[0]!, ctx.Attr<ReduceAttrs>(), ctx.InputShape(0))],
        batched: (ctx, t) => t[0]?.Sum(ctx.Attr<ReduceAttrs>().Axes.Select(a => a + 1).ToArray(), ctx.Attr<ReduceAttrs>().KeepDims),
        batchedTranspose: (ctx, g) => [ExpandReduced(g[0]!, ctx.Attr<ReduceAttrs>(), ctx.InputShape(0), ctx.Batch)]);

    public static readonly OpRow Max = Extremum("Max", ReduceOp.Max);
    public static readonly OpRow Min = Extremum("Min", ReduceOp.Min);

    // Gradient of an extremum: split evenly among the elements that attain it.
    private static OpRow Extremum(string name, ReduceOp op) => new()
    {
        Name = name,
        Forward = (i, a) => Kernels.Reduce(op, i[0], ((ReduceAttrs)a!).Axes, ((ReduceAttrs)a!).KeepDims, false, out _),
        Saves = Saves.Input0 | Saves.Output,
        Vjp = (ctx, g) =>
        {
            var attrs = ctx.Attr<ReduceAttrs>();
            var mask = ExtremumMask(ctx.Input(0), ctx.Output, attrs);
            return [ExpandReduced(g[0]!, attrs, ctx.InputShape(0), ctx.Batch) * mask];
        },
        CotangentBroadcasts = true,
        Jvp = (ctx, t) => t[0] is null ? null
            : (t[0]! * ExtremumMask(ctx.Inputs[0], ctx.Output, ctx.Attr<ReduceAttrs>())).Sum(ctx.Attr<ReduceAttrs>().Axes, ctx.Attr<ReduceAttrs>().KeepDims),
    };

    private static Tensor ExtremumMask(Tensor x, Tensor y, ReduceAttrs attrs)
    {
        var hit = x.Eq(KeepDims(y, attrs, x.ShapeArray));
        return hit / hit.Sum(attrs.Axes, keepDims: true);
    }

    /// <summary>Π over axes; gradient ∏_{j≠i} x_j, exact when elements are zero.</summary>
    public static readonly OpRow Prod = new()
    {
        Name = "Prod",
        Forward = (i, a) => ExtraKernels.Prod(i[0], ((ReduceAttrs)a!).Axes, ((ReduceAttrs)a!).KeepDims),
        Saves = Saves.Input0 | Saves.Output,
        Vjp = (ctx, g) => [ExpandReduced(g[0]!, ctx.Attr<ReduceAttrs>(), ctx.InputShape(0), ctx.Batch) * ProdOthers(ctx.Input(0), ctx.Output, ctx.Attr<ReduceAttrs>())],
        CotangentBroadcasts = true,
        Jvp = (ctx, t) => t[0] is null ? null
            : (t[0]! * ProdOthers(ctx.Inputs[0], ctx.Output, ctx.Attr<ReduceAttrs>())).Sum(ctx.Attr<ReduceAttrs>().Axes, ctx.Attr<ReduceAttrs>().KeepDims),
    };

    // Without zeros, ∏_{j≠i} x_j = y / x_i. With zeros, form the product of each slice with x_i replaced by 1:
    // an n×n expansion per slice, differentiable again through Prod itself.
    private static Tensor ProdOthers(Tensor x, Tensor y, ReduceAttrs attrs)
    {
        bool hasZero;
        using (Autograd.NoGrad()) hasZero = x.Eq(0.0).Sum().To(DType.Float64).Item<double>() > 0;
        if (!hasZero) return KeepDims(y, attrs, x.ShapeArray) / x;

        int rank = x.Rank;
        var kept = Enumerable.Range(0, rank).Where(d => Array.IndexOf(attrs.Axes, d) < 0).ToArray();
        var perm = kept.Concat(attrs.Axes).ToArray();
        var xp = x.Permute(perm);
        int outer = kept.Aggregate(1, (p, d) => p * x.ShapeArray[d]);
        int n = attrs.Axes.Aggregate(1, (p, d) => p * x.ShapeArray[d]);
        var rows = xp.Reshape(outer, n);
        var square = rows.Unsqueeze(1).Expand(outer, n, n);
        var eye = Tensor.Eye(n, dtype: x.DType);
        var others = square.MaskedFill(eye, 1.0).Prod([2]);
        var inverse = new int[rank];
        for (int k = 0; k < rank; k++) inverse[perm[k]] = k;
        return others.Reshape(perm.Select(d => x.ShapeArray[d]).ToArray()).Permute(inverse);
    }

    /// <summary>‖x‖₂ over axes; gradient x/‖x‖, taken as 0 where the norm is 0.</summary>
    public static readonly OpRow Norm = new()
    {
        Name = "Norm",
        Forward = (i, a) => Kernels.Unary(UnaryOp.Sqrt, Kernels.Reduce(ReduceOp.Sum, Kernels.Binary(BinaryOp.Mul, i[0], i[0]), ((ReduceAttrs)a!).Axes, ((ReduceAttrs)a!).KeepDims, false, out _)),
        Saves = Saves.Input0 | Saves.Output,
        Vjp = (ctx, g) => [ctx.Input(0) * SafeDivide(ExpandReduced(g[0]!, ctx.Attr<ReduceAttrs>(), ctx.InputShape(0), ctx.Batch), KeepDims(ctx.Output, ctx.Attr<ReduceAttrs>(), ctx.InputShape(0)))],
        CotangentBroadcasts = true,
        Jvp = (ctx, t) => t[0] is null ? null
            : SafeDivide((ctx.Inputs[0] * t[0]!).Sum(ctx.Attr<ReduceAttrs>().Axes, ctx.Attr<ReduceAttrs>().KeepDims), ctx.Output),
    };

    private static Tensor SafeDivide(Tensor num, Tensor den) => (num / den).MaskedFill(den.Eq(0.0), 0.0);

    // ---- row operations over one axis --------------------------------------------------------------------

    public static readonly OpRow LogSumExp = new()
    {
        Name = "LogSumExp",
        Forward = (i, a) => Kernels.RowOp(RowOp.LogSumExp, i[0], ((AxisAttrs)a!).Axis, ((AxisAttrs)a!).KeepDims),
        Saves = Saves.Input0 | Saves.Output,
        Vjp = (ctx, g) =>
        {
            var a = ctx.Attr<AxisAttrs>();
            var x = ctx.Input(0);
            var yk = a.KeepDims ? ctx.Output : ctx.Output.Unsqueeze(a.Axis);
            var gk = a.KeepDims ? g[0]! : g[0]!.Unsqueeze(ctx.Batch > 0 ? a.Axis + 1 : a.Axis);
            return [gk * (x - yk).Exp()];
        },
        CotangentBroadcasts = true,
        Jvp = (ctx, t) =>
        {
            if (t[0] is null) return null;
            var a = ctx.Attr<AxisAttrs>();
            var yk = a.KeepDims ? ctx.Output : ctx.Output.Unsqueeze(a.Axis);
            return (t[0]! * (ctx.Inputs[0] - yk).Exp()).Sum([a.Axis], a.KeepDims);
        },
    };

    public static readonly OpRow Softmax = new()
    {
        Name = "Softmax",
        Forward = (i, a) => Kernels.RowOp(RowOp.Softmax, i[0], ((AxisAttrs)a!).Axis),
        Saves = Saves.Output,
        Vjp = (ctx, g) => [SoftmaxChain(ctx.Output, g[0]!, ctx.Attr<AxisAttrs>().Axis)],
        BatchedVjp = (ctx, g) => [SoftmaxChain(ctx.Output, g[0]!, ctx.Attr<AxisAttrs>().Axis + 1)],
        FusedVjp = (ctx, g) => [Kernels.RowOpBackward(RowOp.Softmax, null, ctx.Output, g[0]!, ctx.Attr<AxisAttrs>().Axis)],
        Jvp = (ctx, t) => t[0] is null ? null : SoftmaxChain(ctx.Output, t[0]!, ctx.Attr<AxisAttrs>().Axis),
        BatchedJvp = (ctx, t) => t[0] is null ? null : SoftmaxChain(ctx.Output, t[0]!, ctx.Attr<AxisAttrs>().Axis + 1),
    };

    // The softmax Jacobian diag(y) − y·yᵀ is symmetric, so VJP and JVP are the same expression.
    private static Tensor SoftmaxChain(Tensor y, Tensor v, int axis) => y * (v - (v * y).Sum([axis], keepDims: true));

    public static readonly OpRow LogSoftmax = new()
    {
        Name = "LogSoftmax",
        Forward = (i, a) => Kernels.RowOp(RowOp.LogSoftmax, i[0], ((AxisAttrs)a!).Axis),
        Saves = Saves.Output,
        Vjp = (ctx, g) => [g[0]! - ctx.Output.Exp() * g[0]!.Sum([ctx.Attr<AxisAttrs>().Axis], keepDims: true)],
        BatchedVjp = (ctx, g) => [g[0]! - ctx.Output.Exp() * g[0]!.Sum([ctx.Attr<AxisAttrs>().Axis + 1], keepDims: true)],
        FusedVjp = (ctx, g) => [Kernels.RowOpBackward(RowOp.LogSoftmax, null, ctx.Output, g[0]!, ctx.Attr<AxisAttrs>().Axis)],
        Jvp = (ctx, t) => t[0] is null ? null : t[0]! - (ctx.Output.Exp() * t[0]!).Sum([ctx.Attr<AxisAttrs>().Axis], keepDims: true),
        BatchedJvp = (ctx, t) => t[0] is null ? null : t[0]! - (ctx.Output.Exp() * t[0]!).Sum([ctx.Attr<AxisAttrs>().Axis + 1], keepDims: true),
    };

    // ---- matrix product ----------------------------------------------------------------------------------

    /// <summary>NumPy matmul: dot, matrix·vector, matrix·matrix, batched with broadcast leading dims.</summary>
    public static readonly OpRow MatMul = new()
    {
        Name = "MatMul",
        Forward = (i, _) => Kernels.MatMul(i[0], i[1]),
        Saves = Saves.Input0 | Saves.Input1,
        Vjp = (ctx, g) => MatMulVjp(ctx, g[0]!),
        BatchedVjp = (ctx, g) => MatMulBatchedVjp(ctx, g[0]!),
        Jvp = (ctx, t) => MatMulJvp(ctx.Inputs[0], ctx.Inputs[1], t[0], t[1],
            accumulate: t[0] is not null && t[1] is not null && ctx.Unwatched(t[0]!) && ctx.Unwatched(t[1]!)),
        BatchedJvp = MatMulBatchedJvp,
    };

    // ȧ·b + a·ḃ. When the product of two matrices is larger than its operands (m·n > m·k + k·n, as for the
    // weight-gradient tangent ḣᵀ·g + hᵀ·ġ inside a Hessian-vector product), one product of the operands joined
    // along k, [ȧ a]·[b; ḃ], replaces the second product and the m×n add; joining costs less memory traffic than
    // that add, and the longer k suits the GEMM better. With `accumulate` (nothing watches the tangent, so no op
    // needs recording) the second product is added into the first in place and freed at once: an add into a tensor
    // still in cache instead of a third one allocated.
    private static Tensor? MatMulJvp(Tensor a, Tensor b, Tensor? ta, Tensor? tb, bool accumulate = false)
    {
        if (ta is not null && tb is not null && a.Rank == 2 && b.Rank == 2)
        {
            long m = a.ShapeArray[0], k = a.ShapeArray[1], n = b.ShapeArray[1];
            if (m * n > m * k + k * n) return JoinColumns(ta, a).MatMul(Tensor.Concat([b, tb], 0));
        }
        Tensor? pa = ta?.MatMul(b);
        Tensor? pb = tb is null ? null : a.MatMul(tb);
        if (pa is null || pb is null) return pa ?? pb;
        // pa is the product's own new tensor here (no graph, no forward level: the op returned the kernel's output).
        if (accumulate && pa.ShapeArray.AsSpan().SequenceEqual(pb.ShapeArray) && pa.IsContiguous)
        {
            Kernels.BinaryInto(BinaryOp.Add, pa, pb);
            pb.Dispose();
            return pa;
        }
        return pa + pb;
    }

    // [x y] along the columns. Transposed views (x = hᵀ) are joined as [xᵀ; yᵀ]ᵀ: two block copies instead of a
    // strided gather, and the result is again a transposed view, which the GEMM reads directly.
    private static Tensor JoinColumns(Tensor x, Tensor y)
    {
        static bool ColumnMajor(Tensor t) => t.StrideArray[0] == 1 && t.StrideArray[1] == t.ShapeArray[0];
        return ColumnMajor(x) && ColumnMajor(y) ? Tensor.Concat([x.T, y.T], 0).T : Tensor.Concat([x, y], 1);
    }

    // Batched tangents carry a leading [B]; pad them so batch dims line up with the other operand's, or, for a
    // vector right operand, multiply by its transpose so B lands in front. Other layouts go entry by entry.
    private static Tensor? MatMulBatchedJvp(JvpContext ctx, Tensor?[] t)
    {
        var a = ctx.Inputs[0];
        var b = ctx.Inputs[1];
        int rank = Math.Max(a.Rank, b.Rank);
        Tensor? ta = null, tb = null;
        if (t[0] is not null)
        {
            if (a.Rank >= 2) ta = Ops.PadBatched(t[0]!, rank).MatMul(b);
            else if (b.Rank == 2) ta = t[0]!.MatMul(b);
            else return ForEachBatchEntry(ctx, t);
        }
        if (t[1] is not null)
        {
            if (b.Rank >= 2) tb = a.MatMul(Ops.PadBatched(t[1]!, rank));
            else if (a.Rank == 2) tb = a.MatMul(t[1]!.Transpose(0, 1)).Transpose(0, 1);
            else if (a.Rank == 1) tb = t[1]!.MatMul(a);
            else return ForEachBatchEntry(ctx, t);
        }
        return ta is null ? tb : tb is null ? ta : ta + tb;
    }

    private static Tensor ForEachBatchEntry(JvpContext ctx, Tensor?[] t)
    {
        var plain = new JvpContext(ctx.Inputs, ctx.Outputs, ctx.Attrs);
        var slices = new Tensor[ctx.Batch];
        for (int i = 0; i < ctx.Batch; i++)
            slices[i] = MatMul.Jvp!(plain, t.Select(x => x?.Select(0, i)).ToArray()) ?? Tensor.ZerosLike(ctx.Output);
        return Tensor.Stack(slices);
    }

    private static Tensor?[] MatMulVjp(OpNode ctx, Tensor g)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        if (a.Rank == 1 && b.Rank == 1)
            return [ctx.NeedsInputGrad(0) ? g * b : null, ctx.NeedsInputGrad(1) ? g * a : null];
        // Promote vectors to matrices, differentiate the matrix product, and drop the added dimension again.
        var am = a.Rank == 1 ? a.Unsqueeze(0) : a;
        var bm = b.Rank == 1 ? b.Unsqueeze(-1) : b;
        var gm = g;
        if (a.Rank == 1) gm = gm.Unsqueeze(-2);
        if (b.Rank == 1) gm = gm.Unsqueeze(-1);
        Tensor? ga = null, gb = null;
        // Note [Tangent-only gradients]: when a gradient goes straight to a leaf whose primal gradient the caller
        // discards (Functional.Hvp, Hessian), only its tangent ġ·Bᵀ + g·Ḃᵀ is computed, not the product g·Bᵀ.
        bool plain = am.Rank == 2 && bm.Rank == 2 && gm.Rank == 2;
        if (ctx.NeedsInputGrad(0) && plain && ctx.PrimalUnused(0))
        {
            ga = Ops.CallTangentOnly(MatMul, null, am.ShapeArray, gm, bm.Transpose(-1, -2));
            if (a.Rank == 1) ga = ga.Reshape(a.ShapeArray);
        }
        else if (ctx.NeedsInputGrad(0))
        {
            ga = Ops.SumTo(gm.MatMul(bm.Transpose(-1, -2)), am.ShapeArray);
            if (a.Rank == 1) ga = ga.Reshape(a.ShapeArray);
        }
        if (ctx.NeedsInputGrad(1) && plain && ctx.PrimalUnused(1))
        {
            gb = Ops.CallTangentOnly(MatMul, null, bm.ShapeArray, am.Transpose(-1, -2), gm);
            if (b.Rank == 1) gb = gb.Reshape(b.ShapeArray);
        }
        else if (ctx.NeedsInputGrad(1))
        {
            gb = Ops.SumTo(am.Transpose(-1, -2).MatMul(gm), bm.ShapeArray);
            if (b.Rank == 1) gb = gb.Reshape(b.ShapeArray);
        }
        return [ga, gb];
    }

    // A batch of cotangents g [B, …out]. Matrix operands broadcast against it as one more batch dimension; a vector
    // operand's gradient contracts the batch of cotangents with the other operand in one matrix product
    // ([B, P·m] · [P·m, k]) instead of B matrix-vector products.
    private static Tensor?[] MatMulBatchedVjp(OpNode ctx, Tensor g)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        int batch = ctx.Batch;
        Tensor? ga = null, gb = null;
        if (a.Rank == 1 && b.Rank == 1)
        {
            if (ctx.NeedsInputGrad(0)) ga = g.Unsqueeze(1) * b;
            if (ctx.NeedsInputGrad(1)) gb = g.Unsqueeze(1) * a;
            return [ga, gb];
        }
        if (ctx.NeedsInputGrad(0))
        {
            if (a.Rank == 1) ga = g.Reshape(batch, -1).MatMul(b.Transpose(-1, -2).Reshape(-1, a.ShapeArray[0]));
            else if (b.Rank == 1) ga = ctx.SumToInput(g.Unsqueeze(-1) * b, 0);
            else ga = ctx.SumToInput(g.MatMul(b.Transpose(-1, -2)), 0);
        }
        if (ctx.NeedsInputGrad(1))
        {
            if (b.Rank == 1) gb = g.Reshape(batch, -1).MatMul(a.Reshape(-1, b.ShapeArray[0]));
            else if (a.Rank == 1) gb = ctx.SumToInput(a.Unsqueeze(-1) * g.Unsqueeze(-2), 1);
            else gb = ctx.SumToInput(a.Transpose(-1, -2).MatMul(g), 1);
        }
        return [ga, gb];
    }

    // ---- shape and view ops (linear) ---------------------------------------------------------------------

    public static readonly OpRow Transpose = OpRow.Linear("Transpose", (i, a) => Kernels.Transpose(i[0], (((int, int))a!).Item1, (((int, int))a!).Item2),
        (t, a) => t[0].Transpose((((int, int))a!).Item1, (((int, int))a!).Item2),
        (ctx, g) => [g[0]!.Transpose(ctx.Attr<(int, int)>().Item1, ctx.Attr<(int, int)>().Item2)],
        batched: (ctx, t) => t[0]?.Transpose(ctx.Attr<(int, int)>().Item1 + 1, ctx.Attr<(int, int)>().Item2 + 1),
        batchedTranspose: (ctx, g) => [g[0]!.Transpose(ctx.Attr<(int, int)>().Item1 + 1, ctx.Attr<(int, int)>().Item2 + 1)]);

    public static readonly OpRow Permute = OpRow.Linear("Permute", (i, a) => Kernels.Permute(i[0], (int[])a!),
        (t, a) => t[0].Permute((int[])a!),
        (ctx, g) => [g[0]!.Permute(InversePermutation(ctx.Attr<int[]>()))],
        batched: (ctx, t) => t[0]?.Permute(ctx.Attr<int[]>().Select(d => d + 1).Prepend(0).ToArray()),
        batchedTranspose: (ctx, g) => [g[0]!.Permute(InversePermutation(ctx.Attr<int[]>()).Select(d => d + 1).Prepend(0).ToArray())]);

    public static readonly OpRow Reshape = OpRow.Linear("Reshape", (i, a) => Kernels.Reshape(i[0], (int[])a!),
        (t, a) => t[0].Reshape((int[])a!),
        (ctx, g) => [g[0]!.Reshape(ctx.InputShape(0))],
        batched: (ctx, t) => t[0]?.Reshape(ctx.Attr<int[]>().Prepend(ctx.Batch).ToArray()),
        batchedTranspose: (ctx, g) => [g[0]!.Reshape(ctx.BatchedInputShape(0))]);

    public static readonly OpRow Expand = OpRow.Linear("Expand", (i, a) => Kernels.Expand(i[0], (int[])a!),
        (t, a) => t[0].Expand((int[])a!),
        (ctx, g) => [Ops.SumTo(g[0]!, ctx.InputShape(0))],
        batched: (ctx, t) => t[0] is null ? null : Ops.PadBatched(t[0]!, ctx.Attr<int[]>().Length).Expand(ctx.Attr<int[]>().Prepend(ctx.Batch).ToArray()),
        batchedTranspose: (ctx, g) => [ctx.SumToInput(g[0]!, 0)]);

    /// <summary>Narrow(dim, start, length); attribute (dim, start, length).</summary>
    public static readonly OpRow Narrow = OpRow.Linear("Narrow", (i, a) => Kernels.Narrow(i[0], (((int, int, int))a!).Item1, (((int, int, int))a!).Item2, (((int, int, int))a!).Item3),
        (t, a) => Ops.Call(Narrow, a, t[0]),
        (ctx, g) => [Ops.Call(NarrowScatter, new NarrowScatterAttrs(ctx.InputShape(0), ctx.Attr<(int, int, int)>().Item1, ctx.Attr<(int, int, int)>().Item2), g[0]!)],
        batchedTranspose: (ctx, g) => [Ops.Call(NarrowScatter, new NarrowScatterAttrs(ctx.BatchedInputShape(0), ctx.Attr<(int, int, int)>().Item1 + 1, ctx.Attr<(int, int, int)>().Item2), g[0]!)]);

    /// <summary>The transpose of Narrow: a zero tensor of the full shape with the slice filled in.</summary>
    public static readonly OpRow NarrowScatter = OpRow.Linear("NarrowScatter", (i, a) => ExtraKernels.NarrowScatter(i[0], (NarrowScatterAttrs)a!),
        (t, a) => Ops.Call(NarrowScatter, a, t[0]),
        (ctx, g) =>
        {
            var a = ctx.Attr<NarrowScatterAttrs>();
            return [Ops.Call(Narrow, (a.Dim, a.Start, ctx.InputShape(0)[a.Dim]), g[0]!)];
        },
        batchedTranspose: (ctx, g) =>
        {
            var a = ctx.Attr<NarrowScatterAttrs>();
            return [Ops.Call(Narrow, (a.Dim + 1, a.Start, ctx.InputShape(0)[a.Dim]), g[0]!)];
        });

    /// <summary>A view of the same elements (dual tensors are aliases of their primal).</summary>
    public static readonly OpRow Alias = OpRow.Linear("Alias", (i, _) => i[0].Detach(), (t, _) => t[0], (_, g) => [g[0]], tangentBroadcasts: true);

    /// <summary>Contiguous copy (also Clone): the identity for derivatives.</summary>
    public static readonly OpRow Copy = OpRow.Linear("Copy", (i, _) => Kernels.Copy(i[0]), (t, _) => t[0].Clone(), (_, g) => [g[0]], tangentBroadcasts: true);

    /// <summary>dtype conversion; the gradient converts back.</summary>
    public static readonly OpRow Cast = OpRow.Linear("Cast", (i, a) => Kernels.Cast(i[0], (((DType, DType))a!).Item2), (t, a) => t[0].To((((DType, DType))a!).Item2),
        (ctx, g) => [g[0]!.To(ctx.Attr<(DType From, DType To)>().From)], tangentBroadcasts: true);

    /// <summary>Concatenation along an axis of any number of inputs.</summary>
    public static readonly OpRow Concat = OpRow.Linear("Concat", (i, a) => ExtraKernels.Concat(i, ((AxisAttrs)a!).Axis),
        (t, a) => Ops.Call(Concat, a, t),
        ConcatVjp, batchedTranspose: ConcatVjp);

    // The gradient of each input is its slice of g; a batched g has the batch dimension in front of the axis.
    private static Tensor?[] ConcatVjp(OpNode ctx, Tensor?[] g)
    {
        int axis = ctx.Attr<AxisAttrs>().Axis + (ctx.Batch > 0 ? 1 : 0);
        var grads = new Tensor?[ctx.InputCount];
        int start = 0;
        for (int k = 0; k < grads.Length; k++)
        {
            int len = ctx.InputShape(k)[ctx.Attr<AxisAttrs>().Axis];
            if (ctx.NeedsInputGrad(k)) grads[k] = Ops.Call(Narrow, (axis, start, len), g[0]!);
            start += len;
        }
        return grads;
    }

    // ---- indexing ----------------------------------------------------------------------------------------

    /// <summary>IndexSelect(dim, indices): rows picked along dim; gradient adds back into repeated rows.</summary>
    public static readonly OpRow IndexSelect = OpRow.Linear("IndexSelect", (i, a) => ExtraKernels.IndexSelect(i[0], (IndexAttrs)a!),
        (t, a) => Ops.Call(IndexSelect, a, t[0]),
        (ctx, g) => [Ops.Call(IndexAdd, new IndexAttrs(ctx.Attr<IndexAttrs>().Dim, ctx.Attr<IndexAttrs>().Indices, ctx.InputShape(0)), g[0]!)],
        batchedTranspose: (ctx, g) => [Ops.Call(IndexAdd, new IndexAttrs(ctx.Attr<IndexAttrs>().Dim + 1, ctx.Attr<IndexAttrs>().Indices, ctx.BatchedInputShape(0)), g[0]!)]);

    /// <summary>Transpose of IndexSelect: zeros of the source shape with the slices added at their indices.</summary>
    public static readonly OpRow IndexAdd = OpRow.Linear("IndexAdd", (i, a) => ExtraKernels.IndexAdd(i[0], (IndexAttrs)a!),
        (t, a) => Ops.Call(IndexAdd, a, t[0]),
        (ctx, g) => [Ops.Call(IndexSelect, ctx.Attr<IndexAttrs>() with { SourceShape = null }, g[0]!)],
        batchedTranspose: (ctx, g) => [Ops.Call(IndexSelect, ctx.Attr<IndexAttrs>() with { Dim = ctx.Attr<IndexAttrs>().Dim + 1, SourceShape = null }, g[0]!)]);

    /// <summary>Gather(dim, index): out[…i…] = x[…index[…i…]…] along dim.</summary>
    public static readonly OpRow Gather = OpRow.Linear("Gather", (i, a) => ExtraKernels.Gather(i[0], (GatherAttrs)a!),
        (t, a) => Ops.Call(Gather, a, t[0]),
        (ctx, g) => [Ops.Call(ScatterAdd, ctx.Attr<GatherAttrs>() with { SourceShape = ctx.InputShape(0) }, g[0]!)]);

    /// <summary>Transpose of Gather: zeros of the source shape with values added at the gathered positions.</summary>
    public static readonly OpRow ScatterAdd = OpRow.Linear("ScatterAdd", (i, a) => ExtraKernels.ScatterAdd(i[0], (GatherAttrs)a!),
        (t, a) => Ops.Call(ScatterAdd, a, t[0]),
        (ctx, g) => [Ops.Call(Gather, ctx.Attr<GatherAttrs>() with { SourceShape = null }, g[0]!)]);

    private static readonly OpRow[] UnaryRows = [Neg, Abs, Exp, Log, Sqrt, Sin, Cos, Tanh, Sigmoid, Relu, Softplus];
    private static readonly OpRow[] BinaryRows = [Add, Sub, Mul, Div, Pow, Maximum, Minimum];

    /// <summary>The row of a native unary kernel (indexed by the ABI enum value).</summary>
    public static OpRow ForUnary(UnaryOp op) => UnaryRows[(int)op];

    /// <summary>The row of a native binary kernel (indexed by the ABI enum value).</summary>
    public static OpRow ForBinary(BinaryOp op) => BinaryRows[(int)op];

    // ---- helpers -----------------------------------------------------------------------------------------

    // The fused backward kernel computes g·f′(x); with the tangent in place of g it is also the JVP.
    private static OpRow Unary(string name, UnaryOp op, Saves saves, Func<Tensor?, Tensor?, Tensor, Tensor> chain) =>
        OpRow.Elementwise(name, (i, _) => Kernels.Unary(op, i[0]), saves, chain,
            fused: (ctx, g) => [Kernels.UnaryBackward(op, ctx.InputOrNull(0), ctx.OutputOrNull(), g[0]!)],
            fusedJvp: (x, y, t) => Kernels.UnaryBackward(op, x, y, t));

    /// <summary>
    /// The row z = g·f′(s) of a unary op (Note [Backward rows]): inputs (s, g), s the forward input
    /// (<paramref name="readsOutput"/> false) or output. <paramref name="second"/>(s, g, w) = w·g·f″(s), null where
    /// f″ = 0 almost everywhere; <paramref name="secondRaw"/> computes it on raw kernels into a new unregistered tensor.
    /// </summary>
    private static OpRow BackwardRow(string name, UnaryOp op, bool readsOutput,
                                     Func<Tensor, Tensor, Tensor, Tensor>? second,
                                     Func<Tensor, Tensor, Tensor, Tensor>? secondRaw)
    {
        OpRow? self = null;
        self = new OpRow
        {
            Name = name,
            Forward = (i, _) => FusedBackward(name, op, readsOutput, i[0], i[1]),
            Saves = second is null ? Saves.Input0 : Saves.Input0 | Saves.Input1,
            Vjp = (ctx, gz) =>
            [
                second is not null && ctx.NeedsInputGrad(0) ? ctx.SumToInput(second(ctx.Input(0), ctx.Input(1), gz[0]!), 0) : null,
                ctx.NeedsInputGrad(1) ? ctx.SumToInput(Ops.Call(self!, null, ctx.Input(0), gz[0]!), 1) : null,
            ],
            Jvp = (ctx, t) =>
            {
                var (s, g) = (ctx.Inputs[0], ctx.Inputs[1]);
                var (ts, tg) = (second is null ? null : t[0], t[1]);
                if (ts is null && tg is null) return null;
                if (RawTangents(ctx, ts, tg))
                {
                    var outRaw = tg is null ? null : FusedBackward(name, op, readsOutput, s, tg);
                    if (ts is null) return outRaw;
                    var term = secondRaw!(s, g, ts);
                    if (outRaw is null)
                    {
                        TensorScope.Track(term);
                        return term;
                    }
                    Kernels.BinaryInto(BinaryOp.Add, outRaw, term);
                    term.Dispose();
                    return outRaw;
                }
                var a = tg is null ? null : Ops.Call(self!, null, s, tg);
                var b = ts is null ? null : second!(s, g, ts);
                var sum = a is null ? b! : b is null ? a : a + b;
                return Ops.BroadcastLike(sum, ctx.Output, ctx.Batch);
            },
            TangentBroadcasts = true,
            CotangentBroadcasts = true,
        };
        return self;
    }

    // Raw kernels for the JVP only when nothing differentiates it and every operand already has the output's shape.
    private static bool RawTangents(JvpContext ctx, Tensor? ts, Tensor? tg)
    {
        var shape = ctx.Output.ShapeArray;
        bool Fits(Tensor? t) => t is null || (t.ShapeArray.AsSpan().SequenceEqual(shape) && t.DType == ctx.Output.DType);
        return (ts is null || ctx.Unwatched(ts)) && (tg is null || ctx.Unwatched(tg))
            && Fits(ctx.Inputs[0]) && Fits(ctx.Inputs[1]) && Fits(ts) && Fits(tg);
    }

    /// <summary>The fused backward kernel g·f′(s) on s and g broadcast against each other.</summary>
    private static Tensor FusedBackward(string name, UnaryOp op, bool readsOutput, Tensor s, Tensor g)
    {
        if (s.DType != g.DType)
            throw new ArgumentException($"{name}: dtypes differ, {s.DType} and {g.DType}.");
        var shape = Shapes.Broadcast(name, s.ShapeArray, g.ShapeArray);
        var se = ReferenceEquals(shape, s.ShapeArray) || s.ShapeArray.AsSpan().SequenceEqual(shape) ? s : Kernels.Expand(s, shape, register: false);
        var ge = ReferenceEquals(shape, g.ShapeArray) || g.ShapeArray.AsSpan().SequenceEqual(shape) ? g : Kernels.Expand(g, shape, register: false);
        try
        {
            return Kernels.UnaryBackward(op, readsOutput ? null : se, readsOutput ? se : null, ge);
        }
        finally
        {
            if (!ReferenceEquals(se, s)) se.Dispose();
            if (!ReferenceEquals(ge, g)) ge.Dispose();
        }
    }

    private static OpRow Binary(string name, BinaryOp op, Saves saves,
                                Func<Tensor?, Tensor?, Tensor?, Tensor, Tensor> chainA,
                                Func<Tensor?, Tensor?, Tensor?, Tensor, Tensor> chainB) =>
        OpRow.Binary(name, (i, _) => Kernels.Binary(op, i[0], i[1]), saves, chainA, chainB);

    private static OpRow Constant(string name, ForwardFn forward) => new()
    {
        Name = name,
        Forward = forward,
        NonDifferentiable = true,
        Vjp = (ctx, _) => new Tensor?[ctx.InputCount],
        Jvp = (_, _) => null,
    };

    /// <summary>Puts back the reduced dimensions (as extent 1) when the reduction dropped them.</summary>
    private static Tensor KeepDims(Tensor t, ReduceAttrs attrs, int[] inputShape)
    {
        if (attrs.KeepDims) return t;
        var shape = (int[])inputShape.Clone();
        foreach (int ax in attrs.Axes) shape[ax] = 1;
        return t.Reshape(shape);
    }

    /// <summary>
    /// The gradient of a reduction, broadcast back over the reduced dimensions; with <paramref name="batch"/> &gt; 0
    /// the gradient carries a leading batch dimension, kept in front.
    /// </summary>
    private static Tensor ExpandReduced(Tensor g, ReduceAttrs attrs, int[] inputShape, int batch = 0)
    {
        if (batch == 0) return KeepDims(g, attrs, inputShape).Expand(inputShape);
        var shape = (int[])inputShape.Clone();
        foreach (int ax in attrs.Axes) shape[ax] = 1;
        return g.Reshape([batch, .. shape]).Expand([batch, .. inputShape]);
    }

    private static int[] InversePermutation(int[] perm)
    {
        var inv = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inv[perm[i]] = i;
        return inv;
    }
}

/// <summary>Attributes of NarrowScatter: the full shape and where the slice starts along dim.</summary>
internal sealed record NarrowScatterAttrs(int[] FullShape, int Dim, int Start);

/// <summary>Attributes of IndexSelect/IndexAdd; SourceShape is set for IndexAdd (the shape it scatters into).</summary>
internal sealed record IndexAttrs(int Dim, int[] Indices, int[]? SourceShape = null);

/// <summary>Attributes of Gather/ScatterAdd: index holds positions along Dim, shaped like the output.</summary>
internal sealed record GatherAttrs(int Dim, long[] Index, int[] IndexShape, int[]? SourceShape = null);

/// <summary>Comparison kinds of the Compare row.</summary>
internal enum CompareOp
{
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}
