namespace Adjoint;

/// <summary>
/// Process-wide accounting of tensors saved for backward: what the graph keeps alive between the forward and
/// the backward pass. Checkpointing trades these bytes for recomputation; the counters make that measured.
/// </summary>
public static class MemoryStats
{
    private static long _saved;
    private static long _peak;
    private static long _recomputedSteps;

    /// <summary>Bytes of tensors currently saved for backward by live graphs (elements × element size).</summary>
    public static long SavedBytes => Interlocked.Read(ref _saved);

    /// <summary>The largest <see cref="SavedBytes"/> seen since the last <see cref="ResetPeak"/>.</summary>
    public static long PeakSavedBytes => Interlocked.Read(ref _peak);

    /// <summary>Forward steps re-run by checkpointing since the last <see cref="ResetPeak"/>.</summary>
    public static long RecomputedSteps => Interlocked.Read(ref _recomputedSteps);

    /// <summary>Sets the peak to the current saved bytes and the recompute counter to zero.</summary>
    public static void ResetPeak()
    {
        Interlocked.Exchange(ref _peak, SavedBytes);
        Interlocked.Exchange(ref _recomputedSteps, 0);
    }

    internal static void AddSaved(long bytes)
    {
        long now = Interlocked.Add(ref _saved, bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
    }

    internal static void RemoveSaved(long bytes) => Interlocked.Add(ref _saved, -bytes);

    internal static void AddRecomputed(long steps) => Interlocked.Add(ref _recomputedSteps, steps);
}
