using NUnit.Framework;
namespace Adjoint.Tests.Parity;

/// <summary>Element-wise comparison of two results with a tolerance; NaN matches only NaN, infinities match exactly.</summary>
internal static class Compare
{
    /// <summary>Default relative tolerance per dtype: float64 ~1e-12, float32 ~1e-5.</summary>
    public static double Tolerance(DType dtype) => dtype == DType.Float64 ? 1e-12 : 1e-5;

    /// <summary>
    /// |native − managed| ≤ tol·max(|managed|, scale). <paramref name="scale"/> (default 1) is the magnitude the
    /// result was computed from: results near zero from large inputs carry the inputs' rounding error.
    /// </summary>
    public static void AssertClose(double[] native, double[] managed, double tolerance, string context,
                                   Func<long, double>? scale = null)
    {
        Assert.That(native, Has.Length.EqualTo(managed.Length), context);
        for (long i = 0; i < native.Length; i++)
        {
            double a = native[i], b = managed[i];
            if (!Close(a, b, tolerance, scale?.Invoke(i) ?? 1.0))
                Assert.Fail($"{context}: element {i} differs: native {a:R}, managed {b:R} (tolerance {tolerance:G3})");
        }
    }

    public static bool Close(double a, double b, double tolerance, double scale = 1.0)
    {
        if (double.IsNaN(a) || double.IsNaN(b)) return double.IsNaN(a) && double.IsNaN(b);
        if (double.IsInfinity(a) || double.IsInfinity(b)) return a.Equals(b);
        return Math.Abs(a - b) <= tolerance * Math.Max(Math.Max(Math.Abs(b), scale), double.Epsilon);
    }
}
