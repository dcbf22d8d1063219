namespace Adjoint.Cli.Data;

/// <summary>A classification data set held in memory: features [N, D] and integer labels.</summary>
/// <param name="Features">Row-major features, N·D values.</param>
/// <param name="Labels">N class indices.</param>
/// <param name="Dim">Features per sample.</param>
/// <param name="Classes">Number of classes.</param>
public sealed record Dataset(float[] Features, int[] Labels, int Dim, int Classes)
{
    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// Two interleaved spirals, the classic data set no straight line (nor a small network trained badly) separates.
/// Class c's points lie at radius r = t and angle θ = 3π·t + c·π for t uniform in [0.05, 1], with Gaussian noise;
/// everything lies within [−1.2, 1.2]². Deterministic for a seed; nothing is downloaded.
/// </summary>
public static class Spirals
{
    /// <summary>The half-width of the square the points lie in (for plots).</summary>
    public const double Extent = 1.25;

    /// <summary>Makes <paramref name="perClass"/> points of each of the two classes, shuffled.</summary>
    public static Dataset Make(int perClass, double noise = 0.04, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perClass);
        var rng = new Random(seed);
        int n = 2 * perClass;
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var features = new float[2 * n];
        var labels = new int[n];
        for (int k = 0; k < n; k++)
        {
            int c = k % 2;
            double t = 0.05 + 0.95 * rng.NextDouble();
            double theta = 3 * Math.PI * t + c * Math.PI;
            int at = order[k];
            features[2 * at] = (float)(t * Math.Cos(theta) + noise * Gaussian(rng));
            features[2 * at + 1] = (float)(t * Math.Sin(theta) + noise * Gaussian(rng));
            labels[at] = c;
        }
        return new Dataset(features, labels, 2, 2);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
