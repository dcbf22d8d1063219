namespace Adjoint;

/// <summary>Runs an op's forward kernel on its inputs (no autograd; the dispatcher records).</summary>
internal delegate Tensor ForwardFn(ReadOnlySpan<Tensor> inputs, object? attrs);

/// <summary>Runs a multi-output op's forward kernel.</summary>
internal delegate Tensor[] ForwardManyFn(ReadOnlySpan<Tensor> inputs, object? attrs);

/// <summary>Maps input tangents to the tangents of every output of a multi-output op.</summary>
internal delegate Tensor?[] JvpManyFn(JvpContext ctx, Tensor?[] tangents);

/// <summary>Maps the gradients of an op's outputs to the gradients of its inputs (null = none).</summary>
internal delegate Tensor?[] VjpFn(OpNode ctx, Tensor?[] gradOutputs);

/// <summary>Maps the tangents of an op's inputs (null = zero) to the tangent of its output.</summary>
internal delegate Tensor? JvpFn(JvpContext ctx, Tensor?[] tangents);

/// <summary>Which tensors an op's VJP reads, so the node saves exactly those (see Note [Saved tensor versions]).</summary>
[Flags]
internal enum Saves
{
    Nothing = 0,
    Input0 = 1,
    Input1 = 2,
    Input2 = 4,
    Inputs = Input0 | Input1 | Input2,
    Output = 64,
}

/// <summary>Primal values an op's JVP may read.</summary>
internal sealed class JvpContext(Tensor[] inputs, Tensor[] outputs, object? attrs, int batch = 0)
{
    /// <summary>0, or the size B of the leading batch dimension every tangent carries (batched forward mode).</summary>
    public int Batch { get; } = batch;

    public Tensor[] Inputs { get; } = inputs;
    public Tensor[] Outputs { get; } = outputs;
    public Tensor Output => Outputs[0];
    public object? Attrs { get; } = attrs;
    public T Attr<T>() => (T)Attrs!;

    /// <summary>
    /// True when nothing differentiates the tangent computation itself: no graph is recorded through it and no
    /// outer forward level is visible. Then a fused kernel (not an op) may compute the tangent.
    /// </summary>
    public bool Unwatched(Tensor tangent) =>
        Batch == 0 && !ForwardAD.IsActive && (!GradMode.IsEnabled || (!tangent.RequiresGrad && !Array.Exists(Inputs, x => x.RequiresGrad)));
}

/// <summary>
/// One row of the derivative table: a primitive op's forward kernel, its VJP (reverse mode), optionally a
/// fused VJP used when no graph is being created, and its JVP (forward mode). Rows are built by the
/// shortcut constructors below so that an op's VJP and JVP come from one expression wherever possible.
/// </summary>
internal sealed class OpRow
{
    public required string Name { get; init; }
    public ForwardFn? Forward { get; init; }
    public ForwardManyFn? ForwardMany { get; init; }
    public JvpManyFn? JvpMany { get; init; }
    public int OutputCount { get; init; } = 1;
    public required VjpFn Vjp { get; init; }
    public VjpFn? FusedVjp { get; init; }
    public JvpFn? Jvp { get; init; }
    public Saves Saves { get; init; }

    /// <summary>
    /// True when <see cref="Jvp"/> is correct for tangents with a leading batch dimension once each tangent is
    /// padded with unit dimensions to the output's rank (elementwise rules: they only broadcast).
    /// </summary>
    public bool TangentBroadcasts { get; init; }

    /// <summary>A JVP for batched tangents [B, …]; rows with neither this nor <see cref="TangentBroadcasts"/> run once per batch entry.</summary>
    public JvpFn? BatchedJvp { get; init; }

    /// <summary>
    /// True when <see cref="Vjp"/> is correct for cotangents with a leading batch dimension [B, …] as it stands:
    /// elementwise rules only broadcast the cotangent against saved tensors, and undo input broadcasting through
    /// <see cref="OpNode.SumToInput"/>, which keeps the batch dimension (batched reverse mode).
    /// </summary>
    public bool CotangentBroadcasts { get; init; }

    /// <summary>
    /// A VJP for batched cotangents [B, …] (read <see cref="OpNode.Batch"/>); rows with neither this nor
    /// <see cref="CotangentBroadcasts"/> run their VJP once per batch entry.
    /// </summary>
    public VjpFn? BatchedVjp { get; init; }

    /// <summary>Ops whose output is piecewise constant (sign, masks): they record nothing and pass no gradient.</summary>
    public bool NonDifferentiable { get; init; }

    public override string ToString() => Name;

    // ---- shortcut constructors -------------------------------------------------------------------------

    /// <summary>
    /// y = f(x) elementwise. <paramref name="chain"/>(x, y, v) returns v·f′(x), the one expression from which
    /// both the VJP (v = incoming gradient) and the JVP (v = input tangent) follow. x or y is null when the
    /// row does not save it.
    /// </summary>
    public static OpRow Elementwise(string name, ForwardFn forward, Saves saves, Func<Tensor?, Tensor?, Tensor, Tensor> chain,
                                    VjpFn? fused = null, Func<Tensor, Tensor, Tensor, Tensor>? fusedJvp = null) => new()
    {
        Name = name,
        Forward = forward,
        Saves = saves,
        Vjp = (ctx, g) => [chain(ctx.InputOrNull(0), ctx.OutputOrNull(), g[0]!)],
        FusedVjp = fused,
        Jvp = (ctx, t) => t[0] is null ? null
            : fusedJvp is not null && ctx.Unwatched(t[0]!) ? fusedJvp(ctx.Inputs[0], ctx.Output, t[0]!)
            : chain(ctx.Inputs[0], ctx.Output, t[0]!),
        TangentBroadcasts = true,
        CotangentBroadcasts = true,
    };

    /// <summary>
    /// y = f(a, b) elementwise with broadcasting. <paramref name="chainA"/>(a, b, y, v) = v·∂f/∂a and
    /// <paramref name="chainB"/> likewise: the VJP sums each back to its input's shape (the one central
    /// place broadcasting is undone), the JVP adds the two.
    /// </summary>
    public static OpRow Binary(string name, ForwardFn forward, Saves saves,
                               Func<Tensor?, Tensor?, Tensor?, Tensor, Tensor> chainA,
                               Func<Tensor?, Tensor?, Tensor?, Tensor, Tensor> chainB) => new()
    {
        Name = name,
        Forward = forward,
        Saves = saves,
        Vjp = (ctx, g) =>
        {
            Tensor? a = ctx.InputOrNull(0), b = ctx.InputOrNull(1), y = ctx.OutputOrNull();
            return
            [
                ctx.NeedsInputGrad(0) ? ctx.SumToInput(chainA(a, b, y, g[0]!), 0) : null,
                ctx.NeedsInputGrad(1) ? ctx.SumToInput(chainB(a, b, y, g[0]!), 1) : null,
            ];
        },
        Jvp = (ctx, t) =>
        {
            Tensor? ta = t[0] is null ? null : chainA(ctx.Inputs[0], ctx.Inputs[1], ctx.Output, t[0]!);
            Tensor? tb = t[1] is null ? null : chainB(ctx.Inputs[0], ctx.Inputs[1], ctx.Output, t[1]!);
            var sum = ta is null ? tb : tb is null ? ta : ta + tb;
            return sum is null ? null : Ops.BroadcastLike(sum, ctx.Output, ctx.Batch);
        },
        TangentBroadcasts = true,
        CotangentBroadcasts = true,
    };

    /// <summary>
    /// A linear op y = L(x₀, x₁, …) (views, sums, concatenation). Its JVP is the op itself applied to the
    /// tangents; its VJP is the transpose Lᵀ given by <paramref name="transpose"/>. With
    /// <paramref name="tangentBroadcasts"/> (scalar maps, copies) both rules only broadcast, so both run unchanged
    /// on batched tangents and cotangents; otherwise <paramref name="batched"/> and
    /// <paramref name="batchedTranspose"/> are the rules with the batch dimension in front.
    /// </summary>
    public static OpRow Linear(string name, ForwardFn forward, Func<Tensor[], object?, Tensor> apply, VjpFn transpose,
                               bool tangentBroadcasts = false, JvpFn? batched = null, VjpFn? batchedTranspose = null) => new()
    {
        Name = name,
        TangentBroadcasts = tangentBroadcasts,
        CotangentBroadcasts = tangentBroadcasts,
        BatchedJvp = batched,
        BatchedVjp = batchedTranspose,
        Forward = forward,
        Saves = Saves.Nothing,
        Vjp = transpose,
        Jvp = (ctx, t) =>
        {
            if (Array.TrueForAll(t, x => x is null)) return null;
            var filled = new Tensor[t.Length];
            for (int i = 0; i < t.Length; i++) filled[i] = t[i] ?? Tensor.ZerosLike(ctx.Inputs[i]);
            return apply(filled, ctx.Attrs);
        },
    };
}
