using NUnit.Framework;
namespace Adjoint.Tests.Parity;

/// <summary>Input values for parity runs: mostly ordinary numbers, sometimes the IEEE special cases.</summary>
internal static class Samples
{
    private static readonly double[] Specials =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1e-310, -1e-310, 1e300, -1e300, 1.0, -1.0];

    /// <summary>Specials whose row-op results adjoint.h defines: NaN poisons its row, -inf contributes exp = 0.</summary>
    public static readonly double[] RowSpecials = [double.NaN, double.NegativeInfinity, 0.0, -0.0, 1e-310, 1.0];

    /// <summary>Lengths that hit every SIMD tail: 0, below, at and above 8/16-wide tiles, and a long run.</summary>
    public static readonly long[] Lengths = [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 100, 1000];

    public static void Fill(RawBuffer buffer, Random rng, double low, double high, double specialRate = 0,
                            double[]? specials = null)
    {
        specials ??= Specials;
        for (long i = 0; i < buffer.Count; i++)
        {
            buffer[i] = rng.NextDouble() < specialRate
                ? specials[rng.Next(specials.Length)]
                : low + (high - low) * rng.NextDouble();
        }
    }

    public static RawBuffer Random(DType dtype, long count, Random rng, double low = -3, double high = 3,
                                   double specialRate = 0, double[]? specials = null)
    {
        var buffer = new RawBuffer(dtype, Math.Max(count, 1));
        Fill(buffer, rng, low, high, specialRate, specials);
        return buffer;
    }

    /// <summary>A seed that differs per test case but is the same on every run.</summary>
    public static int Seed(params object[] parts) =>
        parts.Aggregate(17, (h, p) => unchecked(h * 31 + StableHash(p.ToString() ?? "")));

    private static int StableHash(string text) => text.Aggregate(0, (h, c) => unchecked(h * 131 + c));
}
