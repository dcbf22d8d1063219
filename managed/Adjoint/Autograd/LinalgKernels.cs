namespace Adjoint;

/// <summary>
/// Dense linear algebra on small matrices, computed in double precision in managed code: LU with partial
/// pivoting (solve, inverse, determinant) and one-sided Jacobi SVD (accurate singular values, orthonormal U, V).
/// </summary>
internal static class LinalgKernels
{
    private static double[,] ToMatrix(Tensor a)
    {
        int m = a.ShapeArray[0], n = a.ShapeArray[1];
        var flat = a.To(DType.Float64).ToArray<double>();
        var r = new double[m, n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) r[i, j] = flat[i * n + j];
        return r;
    }

    private static Tensor FromMatrix(double[,] r, DType dtype)
    {
        int m = r.GetLength(0), n = r.GetLength(1);
        var flat = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) flat[i * n + j] = r[i, j];
        return Cast(Tensor.FromArray(flat, m, n), dtype);
    }

    private static Tensor Cast(Tensor t, DType dtype) => dtype == DType.Float64 ? t : Kernels.Cast(t, dtype);

    /// <summary>LU = PA in place; returns the pivot rows and the permutation sign, or null if singular.</summary>
    private static (int[] Pivot, int Sign)? Lu(double[,] a)
    {
        int n = a.GetLength(0);
        var piv = Enumerable.Range(0, n).ToArray();
        int sign = 1;
        for (int k = 0; k < n; k++)
        {
            int p = k;
            for (int i = k + 1; i < n; i++)
                if (Math.Abs(a[i, k]) > Math.Abs(a[p, k])) p = i;
            if (a[p, k] == 0) return null;
            if (p != k)
            {
                for (int j = 0; j < n; j++) (a[k, j], a[p, j]) = (a[p, j], a[k, j]);
                (piv[k], piv[p]) = (piv[p], piv[k]);
                sign = -sign;
            }
            for (int i = k + 1; i < n; i++)
            {
                a[i, k] /= a[k, k];
                for (int j = k + 1; j < n; j++) a[i, j] -= a[i, k] * a[k, j];
            }
        }
        return (piv, sign);
    }

    public static Tensor Solve(Tensor a, Tensor b)
    {
        int n = a.ShapeArray[0];
        var lu = ToMatrix(a);
        var f = Lu(lu) ?? throw new ArgumentException($"Linalg.Solve: the matrix of shape {Shapes.Format(a.ShapeArray)} is singular.");
        bool vector = b.Rank == 1;
        var rhs = vector ? ToMatrix(b.Reshape(n, 1)) : ToMatrix(b);
        int k = rhs.GetLength(1);
        var x = new double[n, k];
        for (int c = 0; c < k; c++)
        {
            var y = new double[n];
            for (int i = 0; i < n; i++)
            {
                double s = rhs[f.Pivot[i], c];
                for (int j = 0; j < i; j++) s -= lu[i, j] * y[j];
                y[i] = s;
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double s = y[i];
                for (int j = i + 1; j < n; j++) s -= lu[i, j] * x[j, c];
                x[i, c] = s / lu[i, i];
            }
        }
        var result = FromMatrix(x, a.DType);
        return vector ? result.Reshape(n) : result;
    }

    /// <summary>(sign, log|det|) of a square matrix; sign 0 and log −∞ when singular.</summary>
    public static (double Sign, double LogAbs) SlogDet(Tensor a)
    {
        var lu = ToMatrix(a);
        var f = Lu(lu);
        if (f is null) return (0, double.NegativeInfinity);
        double sign = f.Value.Sign, logAbs = 0;
        for (int i = 0; i < lu.GetLength(0); i++)
        {
            if (lu[i, i] < 0) sign = -sign;
            logAbs += Math.Log(Math.Abs(lu[i, i]));
        }
        return (sign, logAbs);
    }

    /// <summary>Thin SVD A = U·diag(S)·Vh with S descending; U is m×k, Vh is k×n, k = min(m, n).</summary>
    public static (Tensor U, Tensor S, Tensor Vh) Svd(Tensor a)
    {
        int m = a.ShapeArray[0], n = a.ShapeArray[1];
        if (m < n)
        {
            // Work on Aᵀ = V·S·Uᵀ so the Jacobi sweep always orthogonalises the shorter side.
            var (u2, s2, vh2) = Svd(Kernels.Contiguous(Kernels.Transpose(a, 0, 1)));
            return (Kernels.Contiguous(Kernels.Transpose(vh2, 0, 1)), s2, Kernels.Contiguous(Kernels.Transpose(u2, 0, 1)));
        }
        var u = ToMatrix(a);
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;
        for (int sweep = 0; sweep < 80; sweep++)
        {
            double off = 0;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < m; i++)
                    {
                        alpha += u[i, p] * u[i, p];
                        beta += u[i, q] * u[i, q];
                        gamma += u[i, p] * u[i, q];
                    }
                    if (gamma == 0 || Math.Abs(gamma) <= 1e-17 * Math.Sqrt(alpha * beta)) continue;
                    off = Math.Max(off, Math.Abs(gamma) / Math.Sqrt(alpha * beta));
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.Sign(zeta) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    if (zeta == 0) t = 1;
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    for (int i = 0; i < m; i++)
                    {
                        double up = u[i, p], uq = u[i, q];
                        u[i, p] = c * up - s * uq;
                        u[i, q] = s * up + c * uq;
                    }
                    for (int i = 0; i < n; i++)
                    {
                        double vp = v[i, p], vq = v[i, q];
                        v[i, p] = c * vp - s * vq;
                        v[i, q] = s * vp + c * vq;
                    }
                }
            if (off < 1e-15) break;
        }
        var sv = new double[n];
        for (int j = 0; j < n; j++)
        {
            double norm = 0;
            for (int i = 0; i < m; i++) norm += u[i, j] * u[i, j];
            sv[j] = Math.Sqrt(norm);
        }
        var order = Enumerable.Range(0, n).OrderByDescending(j => sv[j]).ToArray();
        var uo = new double[m, n];
        var vh = new double[n, n];
        var so = new double[n];
        for (int c = 0; c < n; c++)
        {
            int j = order[c];
            so[c] = sv[j];
            for (int i = 0; i < m; i++) uo[i, c] = sv[j] > 0 ? u[i, j] / sv[j] : 0;
            for (int i = 0; i < n; i++) vh[c, i] = v[i, j];
        }
        CompleteOrthonormal(uo, so);
        return (FromMatrix(uo, a.DType), Cast(Tensor.FromArray(so), a.DType), FromMatrix(vh, a.DType));
    }

    /// <summary>Replaces the columns of zero singular values by unit vectors orthogonal to the others (Gram–Schmidt).</summary>
    private static void CompleteOrthonormal(double[,] u, double[] s)
    {
        int m = u.GetLength(0), n = u.GetLength(1);
        int candidate = 0;
        for (int c = 0; c < n; c++)
        {
            if (s[c] > 0) continue;
            while (candidate < m)
            {
                var w = new double[m];
                w[candidate++] = 1;
                for (int o = 0; o < n; o++)
                {
                    if (o == c || (s[o] == 0 && o > c)) continue;
                    double d = 0;
                    for (int i = 0; i < m; i++) d += u[i, o] * w[i];
                    for (int i = 0; i < m; i++) w[i] -= d * u[i, o];
                }
                double norm = Math.Sqrt(w.Sum(x => x * x));
                if (norm < 1e-8) continue;
                for (int i = 0; i < m; i++) u[i, c] = w[i] / norm;
                break;
            }
        }
    }
}
