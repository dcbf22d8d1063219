using System.Runtime.InteropServices;

namespace Adjoint;

// Note [Storage pool]
// A training loop allocates and frees the same multi-megabyte buffers (activations, gradients, GEMM outputs)
// every step. Served by malloc, each one is a fresh mmap: the kernel zero-fills and faults in every page on
// first touch (about 8 % of a training step's samples in perf), and every megabyte of new native memory pushes
// towards a collection for it (one gen-2 GC per step was measured on the 784-1024-1024-10 MLP). The pool keeps
// freed blocks of at least MinPooledBytes, binned by size class, and hands them back to the next request of the
// same class. Blocks are reported (Pressure, below) when they are taken from the OS and unreported when they go
// back to it, so a steady loop reports nothing.
//
// Accounting: Tensor.LiveBytes stays exact (the bytes the live storages asked for); what the pool holds idle is
// CachedBytes, and the cache is bounded by a byte cap (ADJOINT_STORAGE_CACHE_BYTES, default 256 MiB; 0 turns
// the pool off). A block that would push the cache over the cap is freed instead.
//
// Undisposed tensors: a program that never disposes relies on finalizers, and finalizers run only after a GC,
// which native memory the GC does not know about never prompts: Pressure starts a full collection when the
// reported bytes grow by a budget. Blocks served from the cache are unreported, so such a loop could grow until
// the cache runs dry. Whenever a finalizer gives a block back, the pool therefore reports the blocks it serves
// from the cache for a while (UndisposedWindow rents) and unreports them when they come back: the reported
// bytes again follow the live native bytes of undisposed tensors, and collections come often enough. A loop that
// disposes (the training step) never enters that mode and still reports nothing. Size classes round a request
// up by at most 1/8 (four classes per power of two above MinPooledBytes would waste up to 25 %).

/// <summary>The caching allocator behind <see cref="TensorStorage"/> (see Note [Storage pool]).</summary>
internal static unsafe class StoragePool
{
    /// <summary>Requests below this go straight to the allocator: malloc serves them from its own free lists.</summary>
    public const long MinPooledBytes = 64 * 1024;

    private const nuint Alignment = 64;
    private const long MaxRoundedBytes = 1L << 60;

    private static readonly object Gate = new();
    private static readonly Dictionary<long, Stack<nint>> Free = [];
    private static long _cachedBytes;
    private static long _capBytes = ReadCap();
    // Rents left in "undisposed" mode (see the note): set by a finalizer's return, counted down by cache hits.
    private static int _undisposedRents;
    private const int UndisposedWindow = 4096;

    /// <summary>Bytes held idle by the pool, ready for reuse.</summary>
    public static long CachedBytes => Interlocked.Read(ref _cachedBytes);

    /// <summary>Upper bound on <see cref="CachedBytes"/>; 0 disables pooling.</summary>
    public static long CapBytes
    {
        get => Interlocked.Read(ref _capBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Interlocked.Exchange(ref _capBytes, value);
            Trim(value);
        }
    }

    /// <summary>The bytes actually reserved for a request of <paramref name="bytes"/> (its size class).</summary>
    public static long ClassBytes(long bytes)
    {
        if (bytes < MinPooledBytes) return Math.Max(bytes, (long)Alignment);
        // Beyond 2^60 bytes no allocation can succeed anyway; rounding up could overflow.
        if (bytes > MaxRoundedBytes) return bytes;
        // Round up to a multiple of an eighth of the highest power of two ≤ bytes.
        long step = (1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)bytes))) / 8;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A 64-byte-aligned block of <see cref="ClassBytes"/>(<paramref name="bytes"/>) bytes, reused when one is cached.
    /// <paramref name="pressured"/>: a cached block that was reported to the GC as pressure on the way out (pass it
    /// back to <see cref="Return"/>).</summary>
    public static void* Rent(long bytes, out bool pressured)
    {
        long size = ClassBytes(bytes);
        pressured = false;
        if (bytes >= MinPooledBytes)
        {
            void* hit = null;
            lock (Gate)
            {
                if (Free.TryGetValue(size, out var stack) && stack.Count > 0)
                {
                    _cachedBytes -= size;
                    hit = (void*)stack.Pop();
                    if (_undisposedRents > 0)
                    {
                        _undisposedRents--;
                        pressured = true;
                    }
                }
            }
            if (hit != null)
            {
                if (pressured) Pressure.Report(size);
                return hit;
            }
        }
        void* p = NativeMemory.AlignedAlloc((nuint)size, Alignment);
        Pressure.Report(size);
        return p;
    }

    /// <summary>Gives back a block from <see cref="Rent"/>(<paramref name="bytes"/>): cached when it fits under the cap, else freed.
    /// <paramref name="pressured"/> is what Rent said; <paramref name="finalizing"/>: a finalizer is returning it.</summary>
    public static void Return(void* p, long bytes, bool pressured = false, bool finalizing = false)
    {
        long size = ClassBytes(bytes);
        if (finalizing) Volatile.Write(ref _undisposedRents, UndisposedWindow);
        if (pressured) Pressure.Report(-size); // the block's extra report, whatever happens to it next
        if (bytes >= MinPooledBytes)
        {
            lock (Gate)
            {
                if (_cachedBytes + size <= Interlocked.Read(ref _capBytes))
                {
                    if (!Free.TryGetValue(size, out var stack)) Free[size] = stack = new Stack<nint>();
                    stack.Push((nint)p);
                    _cachedBytes += size;
                    return;
                }
            }
        }
        NativeMemory.AlignedFree(p);
        Pressure.Report(-size);
    }

    /// <summary>Frees cached blocks until at most <paramref name="keepBytes"/> stay cached.</summary>
    public static void Trim(long keepBytes = 0)
    {
        var freed = new List<(nint Pointer, long Size)>();
        lock (Gate)
        {
            foreach (var (size, stack) in Free)
                while (_cachedBytes > keepBytes && stack.Count > 0)
                {
                    freed.Add((stack.Pop(), size));
                    _cachedBytes -= size;
                }
        }
        foreach (var (p, size) in freed)
        {
            NativeMemory.AlignedFree((void*)p);
            Pressure.Report(-size);
        }
    }

    private static long ReadCap()
    {
        var text = Environment.GetEnvironmentVariable("ADJOINT_STORAGE_CACHE_BYTES");
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v) && v >= 0
            ? v
            : 256L << 20;
    }

    // When to collect for native memory. GC.AddMemoryPressure was used first and measured badly here: its budget is
    // a third of the managed heap (at least 4 MB), so a loop whose managed heap is a few megabytes but which drops
    // tens of megabytes of undisposed activations per step got a blocking gen-2 collection every 4 MB, as often as
    // the runtime's duty-cycle rule allows (3.1 per step of the checkpoint chain: 3 ms of pauses in a 40 ms step).
    // The policy here is proportional, as in Go's GOGC = 100: a full collection once the reported native bytes have
    // grown by the larger of MinBudget and half the live bytes at the last collection (live then = what survives
    // plus the garbage since the collection before, so in a steady loop the garbage settles at about the live
    // size). Growth is measured from the lowest point since the last collection: blocks that come back (Dispose,
    // or finalizers after the collection) lower it, so a loop that disposes never collects for its allocations.
    private static class Pressure
    {
        private const long MinBudget = 64L << 20;
        private static long _net, _low, _budget = MinBudget;
        private static int _collecting;

        public static void Report(long delta)
        {
            long net = Interlocked.Add(ref _net, delta);
            if (delta < 0)
            {
                long low;
                while (net < (low = Interlocked.Read(ref _low)) && Interlocked.CompareExchange(ref _low, net, low) != low) { }
                return;
            }
            if (net - Interlocked.Read(ref _low) < Interlocked.Read(ref _budget)) return;
            if (Interlocked.Exchange(ref _collecting, 1) != 0) return; // another thread is collecting
            try
            {
                Interlocked.Exchange(ref _low, net);
                Interlocked.Exchange(ref _budget, Math.Max(MinBudget, TensorStorage.LiveBytes / 2));
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            }
            finally
            {
                Volatile.Write(ref _collecting, 0);
            }
        }
    }
}
