namespace Adjoint;

/// <summary>How <see cref="Functional.Jacobian(Func{Tensor, Tensor}, Tensor, JacobianMode)"/> computes J.</summary>
public enum JacobianMode
{
    /// <summary>Forward mode when the input has fewer elements than the output, reverse mode otherwise.</summary>
    Auto,

    /// <summary>Forward mode: J·eⱼ for every input direction, pushed as one batch of tangents.</summary>
    Forward,

    /// <summary>Reverse mode: eᵢᵀ·J for every output element.</summary>
    Reverse,
}

/// <summary>
/// Function transforms in the style of JAX: gradients, vector-Jacobian and Jacobian-vector products,
/// Jacobians, Hessians and Hessian-vector products of functions of tensors. The functions passed in must be
/// written with Adjoint's differentiable ops; inputs are not modified.
/// </summary>
public static class Functional
{
    /// <summary>∇f: returns a function computing the gradient of the scalar function f at x.</summary>
    public static Func<Tensor, Tensor> Grad(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x => ValueAndGrad(f)(x).Grad;
    }

    /// <summary>The gradients of a scalar function of several tensors, one per input.</summary>
    public static Func<Tensor[], Tensor[]> Grad(Func<Tensor[], Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return xs =>
        {
            var leaves = xs.Select(Fresh).ToArray();
            var y = RequireScalar("Functional.Grad", f(leaves));
            return Autograd.Grad([y], leaves, createGraph: Engine.ReachesOtherLeaves(y, leaves), materializeGrads: true).Select(g => g!).ToArray();
        };
    }

    /// <summary>(f(x), ∇f(x)) in one forward and one backward pass.</summary>
    public static Func<Tensor, (Tensor Value, Tensor Grad)> ValueAndGrad(Func<Tensor, Tensor> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return x =>
        {
            var leaf = Fresh(x);
            var y = RequireScalar("Functional.ValueAndGrad", f(leaf));
            var g = Autograd.Grad([y], [leaf], createGraph: Engine.ReachesOtherLeaves(y, [leaf]), materializeGrads: true)[0]!;
            return (y, g);
        };
    }

    /// <summary>
    /// ValueAndGrad with auxiliary data (JAX's has_aux): f returns (scalar, aux); aux is passed through
    /// undifferentiated.
    /// </summary>
    public static Func<Tensor, (Tensor Value, Tensor Grad, TAux Aux)> ValueAndGrad<TAux>(Func<Tensor, (Tensor Value, TAux Aux)> f, bool hasAux = true)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (!hasAux) throw new ArgumentException("Functional.ValueAndGrad: this overload is for functions returning (value, aux); pass hasAux: true.", nameof(hasAux));
        return x =>
        {
            var leaf = Fresh(x);
            var (y, aux) = f(leaf);
            RequireScalar("Functional.ValueAndGrad", y);
            var g = Autograd.Grad([y], [leaf], createGraph: Engine.ReachesOtherLeaves(y, [leaf]), materializeGrads: true)[0]!;
            return (y, g, aux);
        };
    }

    /// <summary>(f(x), pullback) where pullback(v) = vᵀ·J_f(x), reusable for several cotangents.</summary>
    public static (Tensor Output, Func<Tensor, Tensor> Pullback) Vjp(Func<Tensor, Tensor> f, Tensor x)
    {
        var (ys, pullback) = Vjp(xs => [f(xs[0])], [x]);
        return (ys[0], v => pullback([v])[0]);
    }

    /// <summary>Several inputs and outputs: pullback maps one cotangent per output to one gradient per input.</summary>
    public static (Tensor[] Outputs, Func<Tensor[], Tensor[]> Pullback) Vjp(Func<Tensor[], Tensor[]> f, Tensor[] x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var leaves = x.Select(Fresh).ToArray();
        var ys = f(leaves);
        bool outerWatches = ys.Any(y => Engine.ReachesOtherLeaves(y, leaves));
        Tensor[] Pullback(Tensor[] v)
        {
            if (v.Length != ys.Length) throw new ArgumentException($"Functional.Vjp: {v.Length} cotangents for {ys.Length} outputs.");
            var live = Enumerable.Range(0, ys.Length).Where(i => ys[i].RequiresGrad).ToArray();
            if (live.Length == 0) return leaves.Select(Tensor.ZerosLike).ToArray();
            bool nested = outerWatches || v.Any(t => t.RequiresGrad);
            return Autograd.Grad(live.Select(i => ys[i]).ToArray(), leaves, live.Select(i => (Tensor?)v[i]).ToArray(),
                                 retainGraph: true, createGraph: nested, materializeGrads: true).Select(g => g!).ToArray();
        }
        return (ys.Select(y => y.Detach()).ToArray(), Pullback);
    }

    /// <summary>(f(x), J_f(x)·v) by true forward mode: one pass with dual tensors, no backward pass.</summary>
    public static (Tensor Output, Tensor Tangent) Jvp(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        var (ys, ts) = Jvp(xs => [f(xs[0])], [x], [v]);
        return (ys[0], ts[0]);
    }

    /// <summary>Several inputs and outputs: one tangent per input, one output tangent per output (zeros where none).</summary>
    public static (Tensor[] Outputs, Tensor[] Tangents) Jvp(Func<Tensor[], Tensor[]> f, Tensor[] x, Tensor[] v)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (x.Length != v.Length) throw new ArgumentException($"Functional.Jvp: {v.Length} tangents for {x.Length} inputs.");
        using var level = ForwardAD.Level();
        var duals = x.Select((xi, i) => ForwardAD.MakeDual(xi, v[i])).ToArray();
        var ys = f(duals);
        var outputs = new Tensor[ys.Length];
        var tangents = new Tensor[ys.Length];
        for (int i = 0; i < ys.Length; i++)
        {
            var (p, t) = ForwardAD.Unpack(ys[i]);
            outputs[i] = p;
            tangents[i] = t ?? Tensor.ZerosLike(p);
        }
        return (outputs, tangents);
    }

    /// <summary>
    /// (f(x), v ↦ J_f(x)·v). Each call of the returned function runs f once more in forward mode at the same x.
    /// </summary>
    public static (Tensor Output, Func<Tensor, Tensor> Jvp) Linearize(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        Tensor y;
        using (Autograd.NoGrad()) y = f(x);
        var point = x.Detach();
        return (y, v => Jvp(f, point, v).Tangent);
    }

    /// <summary>
    /// Pushes a batch of tangents V [B, …x.shape] through f in one forward-mode pass: returns f(x) and the batch
    /// of J·Vᵦ, shaped [B, …f(x).shape].
    /// </summary>
    public static (Tensor Output, Tensor Tangents) JvpBatched(Func<Tensor, Tensor> f, Tensor x, Tensor tangents)
    {
        ArgumentNullException.ThrowIfNull(f);
        RequireBatchOf("Functional.JvpBatched", tangents, x);
        using var batched = ForwardAD.BatchedLevel(tangents.ShapeArray[0]);
        var dual = ForwardAD.MakeDual(x, tangents, batched: true);
        var y = f(dual);
        var (p, t) = ForwardAD.Unpack(y);
        if (t is null)
        {
            var shape = new[] { tangents.ShapeArray[0] }.Concat(p.ShapeArray).ToArray();
            return (p, Tensor.Zeros(shape, p.DType));
        }
        return (p, t.ShapeArray.Length == p.Rank + 1 ? t : t.Expand(new[] { tangents.ShapeArray[0] }.Concat(p.ShapeArray).ToArray()).Contiguous());
    }

    /// <summary>
    /// Pulls a batch of cotangents U [B, …f(x).shape] back through f: returns f(x) and Uᵦᵀ·J for every b, shaped
    /// [B, …x.shape]. One forward pass and one batched backward pass: the cotangents travel through the graph
    /// together, with their batch dimension in front (ops without a batched rule take them one at a time).
    /// </summary>
    public static (Tensor Output, Tensor Cotangents) VjpBatched(Func<Tensor, Tensor> f, Tensor x, Tensor cotangents)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (ys, grads) = VjpBatched(xs => [f(xs[0])], [x], [cotangents]);
        return (ys[0], grads[0]);
    }

    /// <summary>
    /// Several inputs and outputs: cotangents[i] is a batch [B, …outputᵢ.shape] (the same B for every output);
    /// returns the outputs and, per input j, Σᵢ Uᵢ,ᵦᵀ·∂outputᵢ/∂xⱼ for every b, shaped [B, …xⱼ.shape].
    /// </summary>
    public static (Tensor[] Outputs, Tensor[] Cotangents) VjpBatched(Func<Tensor[], Tensor[]> f, Tensor[] x, Tensor[] cotangents)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(cotangents);
        var leaves = x.Select(Fresh).ToArray();
        var ys = f(leaves);
        if (cotangents.Length != ys.Length) throw new ArgumentException($"Functional.VjpBatched: {cotangents.Length} cotangent batches for {ys.Length} outputs.");
        for (int i = 0; i < ys.Length; i++)
        {
            RequireBatchOf("Functional.VjpBatched", cotangents[i], ys[i]);
            if (cotangents[i].DType != ys[i].DType)
                throw new ArgumentException($"Functional.VjpBatched: cotangent {i} has dtype {cotangents[i].DType}, output {i} has {ys[i].DType}.");
        }
        int batch = cotangents.Length == 0 ? 0 : cotangents[0].ShapeArray[0];
        if (Array.Exists(cotangents, c => c.ShapeArray[0] != batch))
            throw new TensorShapeException($"Functional.VjpBatched: cotangent batches differ in size: {string.Join(", ", cotangents.Select(c => Shapes.Format(c.ShapeArray)))}.");
        bool nested = ys.Any(y => Engine.ReachesOtherLeaves(y, leaves)) || cotangents.Any(c => c.RequiresGrad);
        return (ys.Select(y => y.Detach()).ToArray(), PullBatched(ys, leaves, cotangents, batch, nested));
    }

    // One batched backward pass from the outputs that depend on the leaves; zeros for inputs nothing reaches.
    private static Tensor[] PullBatched(Tensor[] ys, Tensor[] leaves, Tensor[] cotangents, int batch, bool nested)
    {
        var live = Enumerable.Range(0, ys.Length).Where(i => ys[i].RequiresGrad).ToArray();
        Tensor?[] grads = live.Length == 0 || batch == 0 ? new Tensor?[leaves.Length]
            : Engine.Run(live.Select(i => ys[i]).ToArray(), live.Select(i => cotangents[i]).ToArray(),
                         retainGraph: nested, createGraph: nested, inputs: leaves, batch: batch)!;
        var result = new Tensor[leaves.Length];
        for (int j = 0; j < leaves.Length; j++)
            result[j] = grads[j] ?? Tensor.Zeros([batch, .. leaves[j].ShapeArray], leaves[j].DType);
        return result;
    }

    /// <summary>
    /// The Jacobian ∂f(x)/∂x with shape f(x).shape ++ x.shape. <see cref="JacobianMode.Auto"/> uses forward mode
    /// (one batched pass of tangents) when x has fewer elements than f(x), reverse mode otherwise.
    /// </summary>
    public static Tensor Jacobian(Func<Tensor, Tensor> f, Tensor x, JacobianMode mode = JacobianMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (mode == JacobianMode.Auto)
        {
            long outputs;
            using (Autograd.NoGrad()) outputs = f(x).NumElements;
            mode = x.NumElements < outputs ? JacobianMode.Forward : JacobianMode.Reverse;
        }
        return mode == JacobianMode.Forward ? JacFwd(f, x) : JacRev(f, x);
    }

    /// <summary>Jacobians of a function of several tensors with several outputs: result[i][j] = ∂outputᵢ/∂inputⱼ.</summary>
    public static Tensor[][] Jacobian(Func<Tensor[], Tensor[]> f, Tensor[] x, JacobianMode mode = JacobianMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(f);
        Tensor[] outputs;
        using (Autograd.NoGrad()) outputs = f(x);
        var result = new Tensor[outputs.Length][];
        for (int i = 0; i < outputs.Length; i++)
        {
            result[i] = new Tensor[x.Length];
            for (int j = 0; j < x.Length; j++)
            {
                int oi = i, ij = j;
                result[i][j] = Jacobian(xj =>
                {
                    var args = (Tensor[])x.Clone();
                    args[ij] = xj;
                    return f(args)[oi];
                }, x[j], mode);
            }
        }
        return result;
    }

    /// <summary>The Jacobian by forward mode: the identity's columns pushed through f as one batch of tangents.</summary>
    public static Tensor JacFwd(Func<Tensor, Tensor> f, Tensor x)
    {
        int n = checked((int)x.NumElements);
        var basis = Tensor.Eye(n, dtype: x.DType).Reshape(new[] { n }.Concat(x.ShapeArray).ToArray());
        var (y, columns) = JvpBatched(f, x, basis);
        // columns is [n, …y.shape]; the Jacobian puts the output dims first.
        int rank = y.Rank;
        var perm = Enumerable.Range(1, rank).Append(0).ToArray();
        return columns.Reshape(new[] { n }.Concat(y.ShapeArray).ToArray()).Permute(perm).Reshape(y.ShapeArray.Concat(x.ShapeArray).ToArray()).Contiguous();
    }

    /// <summary>
    /// The Jacobian by reverse mode: the identity's rows pulled back through f as one batch of cotangents, in
    /// one batched backward pass over one recorded graph.
    /// </summary>
    public static Tensor JacRev(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var leaf = Fresh(x);
        var y = f(leaf);
        int m = checked((int)y.NumElements);
        var basis = Tensor.Eye(m, dtype: y.DType).Reshape([m, .. y.ShapeArray]);
        bool nested = Engine.ReachesOtherLeaves(y, [leaf]);
        var rows = PullBatched([y], [leaf], [basis], m, nested)[0];
        return rows.Reshape([.. y.ShapeArray, .. x.ShapeArray]);
    }

    /// <summary>
    /// Hessian-vector product H·v of a scalar f at x by forward-over-reverse: the gradient is computed with its
    /// graph, then differentiated in forward mode along v. The Hessian is never formed.
    /// </summary>
    public static Tensor Hvp(Func<Tensor, Tensor> f, Tensor x, Tensor v)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (!v.Shape.SequenceEqual(x.Shape))
            throw new TensorShapeException($"Functional.Hvp: v of shape {Shapes.Format(v.ShapeArray)} does not match x of shape {Shapes.Format(x.ShapeArray)}.");
        return Jvp(xs => GradForTangents(xs => f(xs[0]))([xs])[0], x, v).Tangent;
    }

    /// <summary>
    /// Hessian-vector product for a scalar function of several tensors (e.g. a model's parameters): returns
    /// Σⱼ ∂²f/∂xᵢ∂xⱼ · vⱼ for every i, by forward-over-reverse.
    /// </summary>
    public static Tensor[] Hvp(Func<Tensor[], Tensor> f, Tensor[] x, Tensor[] v)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (x.Length != v.Length) throw new ArgumentException($"Functional.Hvp: {v.Length} directions for {x.Length} inputs.");
        for (int i = 0; i < x.Length; i++)
            if (!v[i].Shape.SequenceEqual(x[i].Shape))
                throw new TensorShapeException($"Functional.Hvp: v[{i}] of shape {Shapes.Format(v[i].ShapeArray)} does not match x[{i}] of shape {Shapes.Format(x[i].ShapeArray)}.");
        return Jvp(GradForTangents(f), x, v).Tangents;
    }

    /// <summary>The Hessian of a scalar f at x, shape x.shape ++ x.shape, by forward-over-reverse (Jacobian of ∇f in forward mode).</summary>
    public static Tensor Hessian(Func<Tensor, Tensor> f, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        return JacFwd(xs => GradForTangents(xs => f(xs[0]))([xs])[0], x);
    }

    // Note [Tangent-only gradients]
    // Forward-over-reverse differentiates the gradient ∇f(x) along v and keeps only the tangent H·v; the primal
    // gradient itself is thrown away. Computed naively, the backward pass still forms every primal weight gradient
    // (for y = a·W, the product aᵀ·g), which is a third of the matrix-product work of an MLP's gradient. So Hvp
    // and Hessian tell the engine that the captured leaves' primal gradients are unused (leafPrimalsUnused); a
    // MatMul whose gradient goes straight to such a leaf then evaluates only its JVP ȧᵀ·g + aᵀ·ġ
    // (Ops.CallTangentOnly), and the primal it hands on is a broadcast zero. JAX gets the same effect from dead
    // code elimination. Exact, not an approximation: the tangent rule never reads the primal product, and the
    // tangents of any outer level are computed by the same rule.

    /// <summary>
    /// Grad(f) for callers that read only the forward-mode tangents of the result: the primal values of the
    /// returned gradients are not computed (zeros) where a tangent-only evaluation applies.
    /// </summary>
    private static Func<Tensor[], Tensor[]> GradForTangents(Func<Tensor[], Tensor> f) => xs =>
    {
        var leaves = xs.Select(Fresh).ToArray();
        var y = RequireScalar("Functional.Hvp", f(leaves));
        bool nested = Engine.ReachesOtherLeaves(y, leaves);
        var seed = Autograd.SeedGradient(y, null, "Functional.Hvp");
        var grads = Engine.Run([y], [seed], retainGraph: nested, createGraph: nested, inputs: leaves, leafPrimalsUnused: true)!;
        return grads.Select((g, i) => g ?? Tensor.ZerosLike(leaves[i])).ToArray();
    };

    /// <summary>A fresh leaf that requires grad, with x's values and any tangents x carries (so transforms nest).</summary>
    private static Tensor Fresh(Tensor x)
    {
        // Under an outer reverse transform, an alias keeps x's graph so the outer one still sees through this one.
        // Otherwise a new leaf, which keeps x's forward tangents (forward-over-reverse differentiates through it).
        if (x.RequiresGrad) return Ops.Call(Derivatives.Alias, null, x);
        var leaf = x.Detach().SetRequiresGrad();
        ForwardAD.CopyTangents(x, leaf);
        return leaf;
    }

    private static Tensor RequireScalar(string op, Tensor y)
    {
        if (y.NumElements != 1)
            throw new ArgumentException($"{op}: the function must return a one-element tensor, got shape {Shapes.Format(y.ShapeArray)}.");
        return y;
    }

    private static void RequireBatchOf(string op, Tensor batch, Tensor like)
    {
        if (batch.Rank != like.Rank + 1 || !batch.Shape[1..].SequenceEqual(like.Shape))
            throw new TensorShapeException($"{op}: expected a batch of shape [B,{string.Join(",", like.ShapeArray)}], got {Shapes.Format(batch.ShapeArray)}.");
    }
}
