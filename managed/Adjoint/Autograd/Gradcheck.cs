namespace Adjoint;

/// <summary>Outcome of a gradient check: the largest errors and where they occurred.</summary>
public sealed record GradcheckResult
{
    /// <summary>True when every compared entry satisfied |analytical − numerical| ≤ atol + rtol·|numerical|.</summary>
    public bool Passed { get; init; }

    /// <summary>max |analytical − numerical| over the compared entries.</summary>
    public double MaxAbsError { get; init; }

    /// <summary>max |analytical − numerical| / max(|numerical|, 1e-12).</summary>
    public double MaxRelError { get; init; }

    /// <summary>Input index of the worst entry (by tolerance ratio), −1 if none.</summary>
    public int InputIndex { get; init; } = -1;

    /// <summary>Flat element index within that input (−1 in fast mode).</summary>
    public long InputElement { get; init; } = -1;

    /// <summary>Output index of the worst entry.</summary>
    public int OutputIndex { get; init; } = -1;

    /// <summary>Flat element index within that output (−1 in fast mode).</summary>
    public long OutputElement { get; init; } = -1;

    /// <summary>The analytical value at the worst entry.</summary>
    public double Analytical { get; init; }

    /// <summary>The numerical value at the worst entry.</summary>
    public double Numerical { get; init; }

    /// <summary>Number of Jacobian entries (or directional products in fast mode) compared.</summary>
    public long Compared { get; init; }

    /// <summary>A readable summary.</summary>
    public override string ToString()
    {
        var head = FormattableString.Invariant($"{(Passed ? "passed" : "FAILED")}: {Compared} entries, max abs error {MaxAbsError:E3}, max rel error {MaxRelError:E3}");
        return InputIndex < 0 ? head : head + FormattableString.Invariant(
            $"; worst at input {InputIndex}[{InputElement}] / output {OutputIndex}[{OutputElement}]: analytical {Analytical:R}, numerical {Numerical:R}");
    }
}

/// <summary>Thrown by <see cref="Gradcheck"/> when analytical and numerical derivatives disagree.</summary>
public sealed class GradcheckException(GradcheckResult result) : Exception("Gradcheck " + result)
{
    /// <summary>The full result.</summary>
    public GradcheckResult Result { get; } = result;
}

/// <summary>
/// Compares the gradients autograd computes with central finite differences in float64:
/// J_num[:, j] = (f(x + ε·e_j) − f(x − ε·e_j)) / 2ε.
/// </summary>
public static class Gradcheck
{
    /// <summary>
    /// Checks every entry of the Jacobian of <paramref name="f"/> at <paramref name="inputs"/> (those that
    /// require grad), or in <paramref name="fastMode"/> one random directional product uᵀ·J·v per input.
    /// Inputs must be float64. Throws <see cref="GradcheckException"/> with the report on failure unless
    /// <paramref name="raiseException"/> is false.
    /// </summary>
    public static GradcheckResult Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
                                        double rtol = 1e-3, bool fastMode = false, bool raiseException = true) =>
        Check(x => [f(x)], inputs, eps, atol, rtol, fastMode, raiseException);

    /// <summary>Multi-output form of <see cref="Check(Func{Tensor[], Tensor}, Tensor[], double, double, double, bool, bool)"/>.</summary>
    public static GradcheckResult Check(Func<Tensor[], Tensor[]> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
                                        double rtol = 1e-3, bool fastMode = false, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var t in inputs)
            if (t.DType != DType.Float64)
                throw new ArgumentException($"Gradcheck: inputs must be Float64 (finite differences in float32 are too coarse); got {t.DType} of shape {Shapes.Format(t.ShapeArray)}.");
        var result = fastMode ? Fast(f, inputs, eps, atol, rtol) : Full(f, inputs, eps, atol, rtol);
        if (!result.Passed && raiseException) throw new GradcheckException(result);
        return result;
    }

    /// <summary>
    /// Second-order check: gradchecks x ↦ vᵀ·∂f/∂x (computed with createGraph) for a fixed random v, which
    /// exercises every VJP's own derivative.
    /// </summary>
    public static GradcheckResult CheckSecondOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5,
                                                   double rtol = 1e-3, bool fastMode = false, bool raiseException = true, ulong seed = 7)
    {
        Tensor? v = null;
        Tensor[] FirstOrder(Tensor[] x)
        {
            // The numerical half evaluates under NoGrad; the first derivative itself still needs the graph.
            using var _ = Autograd.EnableGrad();
            var y = f(x);
            v ??= Tensor.Randn(y.ShapeArray, DType.Float64, new Generator(seed));
            var wrt = x.Where(t => t.RequiresGrad).ToArray();
            var grads = Autograd.Grad([y], wrt, [v], createGraph: true, materializeGrads: true);
            return grads.Select(g => g!).ToArray();
        }
        return Check(FirstOrder, inputs, eps, atol, rtol, fastMode, raiseException);
    }

    private sealed class Worst
    {
        public double Score = -1, MaxAbs, MaxRel, Analytical, Numerical;
        public int Input = -1, Output = -1;
        public long InputElement = -1, OutputElement = -1, Compared;
        public bool Passed = true;

        public void Add(double a, double n, double atol, double rtol, int input, long ie, int output, long oe)
        {
            Compared++;
            double abs = Math.Abs(a - n);
            if (double.IsNaN(a) != double.IsNaN(n) || (!double.IsNaN(a) && !(abs <= atol + rtol * Math.Abs(n)) && !(a == n)))
                Passed = false;
            double rel = abs / Math.Max(Math.Abs(n), 1e-12);
            MaxAbs = Math.Max(MaxAbs, double.IsNaN(abs) ? double.PositiveInfinity : abs);
            MaxRel = Math.Max(MaxRel, double.IsNaN(rel) ? double.PositiveInfinity : rel);
            double score = double.IsNaN(abs) ? double.PositiveInfinity : abs / (atol + rtol * Math.Abs(n));
            if (score > Score)
            {
                Score = score; Analytical = a; Numerical = n;
                Input = input; InputElement = ie; Output = output; OutputElement = oe;
            }
        }

        public GradcheckResult ToResult() => new()
        {
            Passed = Passed, MaxAbsError = MaxAbs, MaxRelError = MaxRel, InputIndex = Input, InputElement = InputElement,
            OutputIndex = Output, OutputElement = OutputElement, Analytical = Analytical, Numerical = Numerical, Compared = Compared,
        };
    }

    // Evaluated with grad mode as the caller has it: f may itself differentiate (a gradient penalty, a
    // second-order check), which needs the graph.
    private static double[][] Evaluate(Func<Tensor[], Tensor[]> f, Tensor[] x) =>
        f(x).Select(y => y.To(DType.Float64).ToArray<double>()).ToArray();

    /// <summary>Leaf copies of the inputs that keep RequiresGrad, so perturbing them never touches the caller's tensors.</summary>
    private static Tensor[] Leaves(Tensor[] inputs, double[][]? values = null) =>
        inputs.Select((t, i) =>
        {
            var data = values?[i] ?? t.ToArray<double>();
            return Make(data, t.ShapeArray).SetRequiresGrad(t.RequiresGrad);
        }).ToArray();

    private static Tensor Make(double[] data, int[] shape) =>
        shape.Length == 0 ? Tensor.Scalar(data[0], DType.Float64) : Tensor.FromArray(data, shape);

    private static GradcheckResult Full(Func<Tensor[], Tensor[]> f, Tensor[] inputs, double eps, double atol, double rtol)
    {
        var baseValues = inputs.Select(t => t.ToArray<double>()).ToArray();
        var leaves = Leaves(inputs, baseValues);
        var outputs = f(leaves);
        var worst = new Worst();
        var diffIdx = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        if (diffIdx.Length == 0) throw new ArgumentException("Gradcheck: no input requires grad.");

        // Analytical Jacobian, one backward per output element.
        var analytical = new double[outputs.Length][][][]; // [output][outElem][input][inElem]
        for (int o = 0; o < outputs.Length; o++)
        {
            long n = outputs[o].NumElements;
            analytical[o] = new double[n][][];
            for (long k = 0; k < n; k++)
            {
                var seed = new double[n];
                seed[k] = 1;
                var g = outputs[o].RequiresGrad
                    ? Autograd.Grad([outputs[o]], diffIdx.Select(i => leaves[i]).ToArray(), [Make(seed, outputs[o].ShapeArray).To(outputs[o].DType)],
                                    retainGraph: true, allowUnused: true, materializeGrads: true)
                    : diffIdx.Select(i => (Tensor?)Tensor.ZerosLike(leaves[i])).ToArray();
                analytical[o][k] = g.Select(t => t!.To(DType.Float64).ToArray<double>()).ToArray();
            }
        }

        // Numerical Jacobian, one pair of evaluations per input element.
        for (int d = 0; d < diffIdx.Length; d++)
        {
            int i = diffIdx[d];
            for (long j = 0; j < baseValues[i].Length; j++)
            {
                var plus = baseValues.Select(a => (double[])a.Clone()).ToArray();
                var minus = baseValues.Select(a => (double[])a.Clone()).ToArray();
                plus[i][j] += eps;
                minus[i][j] -= eps;
                var fp = Evaluate(f, Leaves(inputs, plus));
                var fm = Evaluate(f, Leaves(inputs, minus));
                for (int o = 0; o < fp.Length; o++)
                    for (long k = 0; k < fp[o].Length; k++)
                        worst.Add(analytical[o][k][d][j], (fp[o][k] - fm[o][k]) / (2 * eps), atol, rtol, i, j, o, k);
            }
        }
        return worst.ToResult();
    }

    private static GradcheckResult Fast(Func<Tensor[], Tensor[]> f, Tensor[] inputs, double eps, double atol, double rtol)
    {
        var rng = new Random(1234);
        var baseValues = inputs.Select(t => t.ToArray<double>()).ToArray();
        var leaves = Leaves(inputs, baseValues);
        var outputs = f(leaves);
        var u = outputs.Select(y => Enumerable.Range(0, (int)y.NumElements).Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        var worst = new Worst();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad) continue;
            var v = Enumerable.Range(0, baseValues[i].Length).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var diff = outputs.Select((y, o) => y.RequiresGrad ? o : -1).Where(o => o >= 0).ToArray();
            double analytical = 0;
            if (diff.Length > 0)
            {
                var g = Autograd.Grad(diff.Select(o => outputs[o]).ToArray(), [leaves[i]],
                    diff.Select(o => (Tensor?)Make(u[o], outputs[o].ShapeArray).To(outputs[o].DType)).ToArray(),
                    retainGraph: true, allowUnused: true, materializeGrads: true)[0]!.ToArray<double>();
                for (int j = 0; j < v.Length; j++) analytical += g[j] * v[j];
            }
            var plus = baseValues.Select(a => (double[])a.Clone()).ToArray();
            var minus = baseValues.Select(a => (double[])a.Clone()).ToArray();
            for (int j = 0; j < v.Length; j++) { plus[i][j] += eps * v[j]; minus[i][j] -= eps * v[j]; }
            var fp = Evaluate(f, Leaves(inputs, plus));
            var fm = Evaluate(f, Leaves(inputs, minus));
            double numerical = 0;
            for (int o = 0; o < fp.Length; o++)
                for (int k = 0; k < fp[o].Length; k++) numerical += u[o][k] * (fp[o][k] - fm[o][k]) / (2 * eps);
            worst.Add(analytical, numerical, atol, rtol, i, -1, -1, -1);
        }
        return worst.ToResult();
    }
}
