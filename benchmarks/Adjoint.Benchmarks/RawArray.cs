using System.Runtime.InteropServices;

namespace Adjoint.Benchmarks;

/// <summary>64-byte-aligned native float32 buffer, filled with fixed pseudo-random values in [-1, 1).</summary>
internal sealed unsafe class RawArray : IDisposable
{
    public RawArray(long count, int seed)
    {
        Count = count;
        Pointer = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(count, 1) * sizeof(float)), 64);
        var random = new Random(seed);
        for (long i = 0; i < count; i++) Pointer[i] = (float)(random.NextDouble() * 2 - 1);
    }

    public long Count { get; }

    public float* Pointer { get; }

    public void Dispose() => NativeMemory.AlignedFree(Pointer);
}
