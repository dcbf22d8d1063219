using System.Runtime.InteropServices;
using NUnit.Framework;

namespace Adjoint.Tests.Parity;

/// <summary>
/// Native memory for one kernel argument, with guard zones before and after it so a kernel that writes out of
/// bounds is caught. Elements are read and written as double whatever the dtype.
/// </summary>
internal sealed unsafe class RawBuffer : IDisposable
{
    private const int GuardBytes = 64;
    private const byte GuardByte = 0xA5;
    private readonly byte* _base;
    private readonly long _bytes;

    public RawBuffer(DType dtype, long count)
    {
        DType = dtype;
        Count = count;
        _bytes = count * dtype.ElementSize();
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)(_bytes + 2 * GuardBytes), 64);
        new Span<byte>(_base, GuardBytes).Fill(GuardByte);
        new Span<byte>(_base + GuardBytes + _bytes, GuardBytes).Fill(GuardByte);
        new Span<byte>(_base + GuardBytes, checked((int)_bytes)).Clear();
    }

    public DType DType { get; }

    public long Count { get; }

    public void* Pointer => _base + GuardBytes;

    public double this[long i]
    {
        get => DType == DType.Float32 ? ((float*)Pointer)[i] : ((double*)Pointer)[i];
        set
        {
            if (DType == DType.Float32) ((float*)Pointer)[i] = (float)value;
            else ((double*)Pointer)[i] = value;
        }
    }

    public bool GuardsIntact
    {
        get
        {
            var before = new ReadOnlySpan<byte>(_base, GuardBytes);
            var after = new ReadOnlySpan<byte>(_base + GuardBytes + _bytes, GuardBytes);
            return !before.ContainsAnyExcept(GuardByte) && !after.ContainsAnyExcept(GuardByte);
        }
    }

    public RawBuffer Clone()
    {
        var copy = new RawBuffer(DType, Count);
        Buffer.MemoryCopy(Pointer, copy.Pointer, _bytes, _bytes);
        return copy;
    }

    public double[] ToArray()
    {
        var values = new double[Count];
        for (long i = 0; i < Count; i++) values[i] = this[i];
        return values;
    }

    public void Dispose() => NativeMemory.AlignedFree(_base);
}
