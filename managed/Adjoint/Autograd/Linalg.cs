namespace Adjoint;

/// <summary>
/// Differentiable linear algebra on matrices (rank-2 tensors), computed in double precision.
/// </summary>
public static class Linalg
{
    /// <summary>x = A⁻¹b for square A and b of shape [n] or [n, k]. Gradients: ∂L/∂b = A⁻ᵀ·ḡ, ∂L/∂A = −(A⁻ᵀḡ)·xᵀ.</summary>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        RequireSquare("Linalg.Solve", a);
        if ((b.Rank != 1 && b.Rank != 2) || b.ShapeArray[0] != a.ShapeArray[0])
            throw new TensorShapeException($"Linalg.Solve: b must have shape [{a.ShapeArray[0]}] or [{a.ShapeArray[0]},k], got {Shapes.Format(b.ShapeArray)} for A {Shapes.Format(a.ShapeArray)}.");
        RequireSameDType("Linalg.Solve", a, b);
        return Ops.Call(LinalgRows.Solve, null, a, b);
    }

    /// <summary>A⁻¹. Gradient: −A⁻ᵀ·ḡ·A⁻ᵀ.</summary>
    public static Tensor Inverse(Tensor a)
    {
        RequireSquare("Linalg.Inverse", a);
        return Ops.Call(LinalgRows.Inverse, null, a);
    }

    /// <summary>det A. Gradient: ḡ·det(A)·A⁻ᵀ (needs A invertible).</summary>
    public static Tensor Det(Tensor a)
    {
        RequireSquare("Linalg.Det", a);
        return Ops.Call(LinalgRows.Det, null, a);
    }

    /// <summary>ln det A (NaN when det A &lt; 0, −∞ when singular). Gradient: ḡ·A⁻ᵀ.</summary>
    public static Tensor LogDet(Tensor a)
    {
        RequireSquare("Linalg.LogDet", a);
        return Ops.Call(LinalgRows.LogDet, null, a);
    }

    /// <summary>tr A = Σᵢ Aᵢᵢ (any rectangular matrix). Gradient: ḡ·I.</summary>
    public static Tensor Trace(Tensor a)
    {
        if (a.Rank != 2) throw new TensorShapeException($"Linalg.Trace: expects a matrix, got shape {Shapes.Format(a.ShapeArray)}.");
        return (a * Tensor.Eye(a.ShapeArray[0], a.ShapeArray[1], a.DType)).Sum();
    }

    /// <summary>
    /// Thin singular value decomposition A = U·diag(S)·Vh with S descending, U: m×k, Vh: k×n, k = min(m, n).
    /// Gradients flow through S always (∂L/∂A = U·diag(∂L/∂S)·Vh) and through U, Vh where the singular values
    /// are distinct (they are not unique otherwise).
    /// </summary>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a)
    {
        if (a.Rank != 2) throw new TensorShapeException($"Linalg.Svd: expects a matrix, got shape {Shapes.Format(a.ShapeArray)}.");
        var r = Ops.CallMany(LinalgRows.Svd, null, a);
        return (r[0], r[1], r[2]);
    }

    private static void RequireSquare(string op, Tensor a)
    {
        if (a.Rank != 2 || a.ShapeArray[0] != a.ShapeArray[1])
            throw new TensorShapeException($"{op}: expects a square matrix, got shape {Shapes.Format(a.ShapeArray)}.");
    }

    private static void RequireSameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType) throw new ArgumentException($"{op}: dtypes differ: {a.DType} and {b.DType}.");
    }
}

/// <summary>The linear-algebra rows of the derivative table (see <see cref="Derivatives"/>).</summary>
internal static class LinalgRows
{
    private static Tensor MT(Tensor t) => t.Transpose(-1, -2);

    // The cotangent of a scalar-valued row: a batch [B] must become [B, 1, 1] to scale B matrices.
    private static Tensor ScalarCotangent(OpNode ctx, Tensor g) => ctx.Batch > 0 ? g.Reshape(ctx.Batch, 1, 1) : g;

    public static readonly OpRow Solve = new()
    {
        Name = "Solve",
        Forward = (i, _) => LinalgKernels.Solve(i[0], i[1]),
        Saves = Saves.Input0 | Saves.Output,
        Vjp = (ctx, g) =>
        {
            var a = ctx.Input(0);
            var x = ctx.Output;
            var gb = Linalg.Solve(MT(a), g[0]!);
            Tensor? ga = null;
            if (ctx.NeedsInputGrad(0))
                ga = x.Rank == 1 ? -gb.Unsqueeze(1).MatMul(x.Unsqueeze(0)) : -gb.MatMul(MT(x));
            return [ga, ctx.NeedsInputGrad(1) ? gb : null];
        },
        BatchedVjp = (ctx, g) =>
        {
            // One solve for the whole batch: the B right-hand sides [B, n, (k)] become the columns of one [n, B·k].
            var a = ctx.Input(0);
            var x = ctx.Output;
            int batch = ctx.Batch, n = a.ShapeArray[0];
            var gt = g[0]!.Rank == 2 ? g[0]!.Transpose(0, 1) : g[0]!.Permute(1, 0, 2).Reshape(n, -1);
            var gb = Linalg.Solve(MT(a), gt.Contiguous());
            gb = g[0]!.Rank == 2 ? gb.Transpose(0, 1) : gb.Reshape(n, batch, -1).Permute(1, 0, 2);
            Tensor? ga = null;
            if (ctx.NeedsInputGrad(0))
                ga = x.Rank == 1 ? -(gb.Unsqueeze(-1) * x) : -gb.MatMul(MT(x));
            return [ga, ctx.NeedsInputGrad(1) ? gb : null];
        },
        Jvp = (ctx, t) =>
        {
            var a = ctx.Inputs[0];
            var x = ctx.Output;
            Tensor? rhs = t[1];
            if (t[0] is not null)
            {
                var ax = t[0]!.MatMul(x);
                rhs = rhs is null ? -ax : rhs - ax;
            }
            return Linalg.Solve(a, rhs!);
        },
    };

    public static readonly OpRow Inverse = new()
    {
        Name = "Inverse",
        Forward = (i, _) => LinalgKernels.Solve(i[0], Tensor.Eye(i[0].ShapeArray[0], dtype: i[0].DType)),
        Saves = Saves.Output,
        Vjp = (ctx, g) => [-MT(ctx.Output).MatMul(g[0]!).MatMul(MT(ctx.Output))],
        CotangentBroadcasts = true,
        Jvp = (ctx, t) => t[0] is null ? null : -ctx.Output.MatMul(t[0]!).MatMul(ctx.Output),
    };

    public static readonly OpRow Det = new()
    {
        Name = "Det",
        Forward = (i, _) =>
        {
            var (sign, logAbs) = LinalgKernels.SlogDet(i[0]);
            return Tensor.Scalar(sign == 0 ? 0 : sign * Math.Exp(logAbs), i[0].DType);
        },
        Saves = Saves.Input0 | Saves.Output,
        Vjp = (ctx, g) => [ScalarCotangent(ctx, g[0]!) * ctx.Output * MT(Linalg.Inverse(ctx.Input(0)))],
        CotangentBroadcasts = true,
        Jvp = (ctx, t) => t[0] is null ? null : ctx.Output * Linalg.Trace(Linalg.Solve(ctx.Inputs[0], t[0]!)),
    };

    public static readonly OpRow LogDet = new()
    {
        Name = "LogDet",
        Forward = (i, _) =>
        {
            var (sign, logAbs) = LinalgKernels.SlogDet(i[0]);
            return Tensor.Scalar(sign < 0 ? double.NaN : logAbs, i[0].DType);
        },
        Saves = Saves.Input0,
        Vjp = (ctx, g) => [ScalarCotangent(ctx, g[0]!) * MT(Linalg.Inverse(ctx.Input(0)))],
        CotangentBroadcasts = true,
        Jvp = (ctx, t) => t[0] is null ? null : Linalg.Trace(Linalg.Solve(ctx.Inputs[0], t[0]!)),
    };

    // Note [SVD derivatives] (Townsend 2016, "Differentiating the singular value decomposition"):
    // with F_ij = 1/(s_j² − s_i²) off the diagonal and 0 on it,
    //   Ā = U[(F∘(UᵀŪ − ŪᵀU))S + diag(S̄) + S(F∘(VᵀV̄ − V̄ᵀV))]Vᵀ + (I − UUᵀ)ŪS⁻¹Vᵀ + US⁻¹V̄ᵀ(I − VVᵀ),
    // and forward, with dP = Uᵀ·dA·V:
    //   dS = diag(dP),  dU = U(F∘(dP·S + S·dPᵀ)) + (I − UUᵀ)·dA·V·S⁻¹,  dV = V(F∘(S·dP + dPᵀ·S)) + (I − VVᵀ)·dAᵀ·U·S⁻¹.
    // F is built with the diagonal of the denominator set to 1 before inverting, so no ∞·0 reaches backward.
    private static Tensor FMatrix(Tensor s)
    {
        int k = s.ShapeArray[0];
        var s2 = s * s;
        var eye = Tensor.Eye(k, dtype: s.DType);
        var denom = s2.Unsqueeze(0) - s2.Unsqueeze(1) + eye;
        return (1.0 / denom).MaskedFill(eye, 0.0);
    }

    public static readonly OpRow Svd = new()
    {
        Name = "Svd",
        OutputCount = 3,
        ForwardMany = (i, _) =>
        {
            var (u, s, vh) = LinalgKernels.Svd(i[0]);
            return [u, s, vh];
        },
        Saves = Saves.Output,
        Vjp = (ctx, g) =>
        {
            var u = ctx.SavedOutput(0);
            var s = ctx.SavedOutput(1);
            var vh = ctx.SavedOutput(2);
            var v = MT(vh);
            int m = ctx.InputShape(0)[0], n = ctx.InputShape(0)[1], k = s.ShapeArray[0];
            Tensor? gu = g[0], gs = g[1], gvh = g[2];
            var inner = gs is null ? Tensor.Zeros([k, k], s.DType) : gs.Unsqueeze(1) * Tensor.Eye(k, dtype: s.DType);
            Tensor? extra = null;
            if (gu is not null || gvh is not null)
            {
                var f = FMatrix(s);
                var sRow = s.Unsqueeze(0);
                var sCol = s.Unsqueeze(1);
                if (gu is not null)
                {
                    var utgu = MT(u).MatMul(gu);
                    inner = inner + (f * (utgu - MT(utgu))) * sRow;
                    if (m > k)
                    {
                        var proj = gu - u.MatMul(utgu);
                        extra = (proj / sRow).MatMul(vh);
                    }
                }
                if (gvh is not null)
                {
                    var gv = MT(gvh);
                    var vtgv = vh.MatMul(gv);
                    inner = inner + sCol * (f * (vtgv - MT(vtgv)));
                    if (n > k)
                    {
                        var proj = gv - v.MatMul(vtgv);
                        var term = u.MatMul(MT(proj / sRow));
                        extra = extra is null ? term : extra + term;
                    }
                }
            }
            var ga = u.MatMul(inner).MatMul(vh);
            return [extra is null ? ga : ga + extra];
        },
        JvpMany = (ctx, t) =>
        {
            if (t[0] is null) return [null, null, null];
            var da = t[0]!;
            var u = ctx.Outputs[0];
            var s = ctx.Outputs[1];
            var vh = ctx.Outputs[2];
            var v = MT(vh);
            int m = u.ShapeArray[0], n = v.ShapeArray[0], k = s.ShapeArray[0];
            var dp = MT(u).MatMul(da).MatMul(v);
            var eye = Tensor.Eye(k, dtype: s.DType);
            var ds = (dp * eye).Sum([1]);
            var f = FMatrix(s);
            var sRow = s.Unsqueeze(0);
            var sCol = s.Unsqueeze(1);
            var du = u.MatMul(f * (dp * sRow + sCol * MT(dp)));
            var dv = v.MatMul(f * (sCol * dp + MT(dp) * sRow));
            if (m > k) du = du + (da.MatMul(v) - u.MatMul(dp)) / sRow;
            if (n > k) dv = dv + (MT(da).MatMul(u) - v.MatMul(MT(dp))) / sRow;
            return [du, ds, MT(dv)];
        },
    };
}
