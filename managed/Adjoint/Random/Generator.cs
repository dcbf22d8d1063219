namespace Adjoint;

/// <summary>The complete state of a <see cref="Generator"/>: restoring it replays the same draws.</summary>
/// <param name="Seed">The 64-bit Philox key.</param>
/// <param name="Offset">Number of 128-bit Philox blocks consumed so far (the counter of the next draw).</param>
public readonly record struct GeneratorState(ulong Seed, ulong Offset);

/// <summary>
/// Counter-based pseudo-random generator: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3", SC 2011). Block i of the stream is Philox(key = Seed, counter = i); a draw of n values takes the
/// next ⌈n / values-per-block⌉ blocks and advances <see cref="Offset"/>. Because the state is just
/// (<see cref="Seed"/>, <see cref="Offset"/>), any region of draws can be replayed by restoring
/// <see cref="GetState"/>; the numbers are computed in managed code, so they do not depend on the backend.
/// Thread-safe: concurrent draws receive disjoint blocks.
/// </summary>
public sealed class Generator
{
    /// <summary>Seed of <see cref="Default"/> at start-up (the same fixed value on every run, as in PyTorch).</summary>
    public const ulong DefaultSeed = 67280421310721UL;

    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private readonly Lock _lock = new();
    private ulong _seed;
    private ulong _offset;

    /// <summary>Creates a generator with the given seed and offset 0.</summary>
    public Generator(ulong seed = DefaultSeed) => _seed = seed;

    /// <summary>The process-wide generator used when an op is given none.</summary>
    public static Generator Default { get; } = new();

    /// <summary>The key of the Philox stream.</summary>
    public ulong Seed
    {
        get { lock (_lock) return _seed; }
    }

    /// <summary>Number of 128-bit blocks consumed since the last seeding.</summary>
    public ulong Offset
    {
        get { lock (_lock) return _offset; }
    }

    /// <summary>Restarts the stream: Seed = <paramref name="seed"/>, Offset = 0. Returns this generator.</summary>
    public Generator ManualSeed(ulong seed)
    {
        lock (_lock)
        {
            _seed = seed;
            _offset = 0;
        }
        return this;
    }

    /// <summary>The current (Seed, Offset).</summary>
    public GeneratorState GetState()
    {
        lock (_lock) return new GeneratorState(_seed, _offset);
    }

    /// <summary>Restores a state from <see cref="GetState"/>; the following draws repeat those made after it was taken.</summary>
    public void SetState(GeneratorState state)
    {
        lock (_lock)
        {
            _seed = state.Seed;
            _offset = state.Offset;
        }
    }

    /// <summary>The Philox4x32-10 bijection of one 128-bit counter under a 64-bit key.</summary>
    internal static (uint X0, uint X1, uint X2, uint X3) Philox(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0)
            {
                k0 += W0;
                k1 += W1;
            }
            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0;
            uint hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>Reserves <paramref name="blocks"/> consecutive blocks; returns the key and the first counter.</summary>
    private (ulong Seed, ulong Start) Reserve(long blocks)
    {
        lock (_lock)
        {
            ulong start = _offset;
            _offset += (ulong)blocks;
            return (_seed, start);
        }
    }

    private static (uint, uint, uint, uint) Block(ulong seed, ulong counter) =>
        Philox((uint)counter, (uint)(counter >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));

    // Uniform [0, 1): float takes the top 24 bits of one word, double the top 53 bits of two words,
    // so every representable result is equally likely and 1 is never produced.
    private static float ToFloat(uint x) => (x >> 8) * (1.0f / (1 << 24));

    private static double ToDouble(uint lo, uint hi) => ((((ulong)hi << 32) | lo) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills <paramref name="count"/> floats with U[0, 1): four per block.</summary>
    internal unsafe void FillUniform(float* y, long count)
    {
        var (seed, start) = Reserve((count + 3) / 4);
        for (long i = 0; i < count; i += 4)
        {
            var (a, b, c, d) = Block(seed, start + (ulong)(i / 4));
            y[i] = ToFloat(a);
            if (i + 1 < count) y[i + 1] = ToFloat(b);
            if (i + 2 < count) y[i + 2] = ToFloat(c);
            if (i + 3 < count) y[i + 3] = ToFloat(d);
        }
    }

    /// <summary>Fills <paramref name="count"/> doubles with U[0, 1): two per block.</summary>
    internal unsafe void FillUniform(double* y, long count)
    {
        var (seed, start) = Reserve((count + 1) / 2);
        for (long i = 0; i < count; i += 2)
        {
            var (a, b, c, d) = Block(seed, start + (ulong)(i / 2));
            y[i] = ToDouble(a, b);
            if (i + 1 < count) y[i + 1] = ToDouble(c, d);
        }
    }

    /// <summary>
    /// Standard normal draws by Box–Muller: each block gives two 53-bit uniforms u1, u2 and the pair
    /// √(−2 ln(1−u1))·(cos 2πu2, sin 2πu2). Computed in double for both dtypes, so float draws are the
    /// rounded double draws.
    /// </summary>
    internal unsafe void FillNormal<T>(T* y, long count) where T : unmanaged, System.Numerics.IFloatingPoint<T>
    {
        var (seed, start) = Reserve((count + 1) / 2);
        for (long i = 0; i < count; i += 2)
        {
            var (a, b, c, d) = Block(seed, start + (ulong)(i / 2));
            double u1 = 1.0 - ToDouble(a, b); // (0, 1]: the log stays finite
            double u2 = ToDouble(c, d);
            double r = Math.Sqrt(-2.0 * Math.Log(u1));
            double theta = 2.0 * Math.PI * u2;
            y[i] = T.CreateTruncating(r * Math.Cos(theta));
            if (i + 1 < count) y[i + 1] = T.CreateTruncating(r * Math.Sin(theta));
        }
    }
}
