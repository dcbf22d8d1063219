namespace Adjoint;

// Note [Per-graph saved bytes]
// The process-wide counters answer "how much does backward hold right now"; a SavedBytesTracker answers it for
// the graphs built inside one scope. Every holder of saved bytes (a SavedTensor, a checkpoint's snapshots and
// slots) remembers the tracker that was innermost on its thread when it was created and reports each change of
// its bytes to it (and to the trackers enclosing it). So the bytes stay attributed to the graph that saved them
// wherever they are released: a backward pass outside the scope, on another thread, or a checkpoint that
// recomputes a segment long after the scope ended still counts toward the tracker of the forward pass.

/// <summary>
/// Process-wide accounting of tensors saved for backward: what the graph keeps alive between the forward and
/// the backward pass. Checkpointing trades these bytes for recomputation; the counters make that measured.
/// <see cref="Track"/> counts the same quantities for the graphs built inside one scope.
/// </summary>
public static class MemoryStats
{
    private static long _saved;
    private static long _peak;
    private static long _recomputedSteps;

    [ThreadStatic] private static SavedBytesTracker? _current;

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

    /// <summary>
    /// Starts counting the saved bytes of the graphs built on this thread until the returned tracker is disposed:
    /// every tensor saved for backward inside the scope (and every byte a checkpoint created inside it holds or
    /// recomputes later) is charged to the tracker until the graph releases it, even when backward runs after the
    /// scope ended. Trackers nest; bytes count toward every enclosing tracker.
    /// </summary>
    /// <example><code>
    /// using var graph = MemoryStats.Track();
    /// var loss = model(x);                       // graph.SavedBytes: what this graph holds for backward
    /// loss.Backward();                           // graph.SavedBytes == 0, graph.PeakSavedBytes kept
    /// </code></example>
    public static SavedBytesTracker Track() => _current = new SavedBytesTracker(_current);

    /// <summary>The tracker new saved bytes are charged to on this thread (innermost first).</summary>
    internal static SavedBytesTracker? CurrentTracker => _current;

    internal static void EndTracking()
    {
        // Scopes end innermost first; one disposed out of order leaves the chain when the scopes inside it end.
        while (_current is { IsDisposed: true }) _current = _current.Parent;
    }

    internal static void AddSaved(long bytes, SavedBytesTracker? owner)
    {
        AddSaved(bytes);
        for (var t = owner; t is not null; t = t.Parent) t.Add(bytes);
    }

    internal static void RemoveSaved(long bytes, SavedBytesTracker? owner)
    {
        RemoveSaved(bytes);
        for (var t = owner; t is not null; t = t.Parent) t.Add(-bytes);
    }

    internal static void AddRecomputed(long steps, SavedBytesTracker? owner)
    {
        AddRecomputed(steps);
        for (var t = owner; t is not null; t = t.Parent) t.AddRecomputed(steps);
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

/// <summary>
/// The saved-tensor bytes of the graphs built inside one <see cref="MemoryStats.Track"/> scope: live bytes,
/// their peak and the forward steps checkpointing re-ran for them. The counts keep following those graphs after
/// <see cref="Dispose"/> (which only stops charging graphs built later), so a tracker read after backward shows
/// 0 live bytes and the peak the graph reached. Thread-safe to read while another thread runs backward.
/// </summary>
public sealed class SavedBytesTracker : IDisposable
{
    private long _saved;
    private long _peak;
    private long _recomputed;
    private bool _disposed;

    internal SavedBytesTracker(SavedBytesTracker? parent) => Parent = parent;

    internal SavedBytesTracker? Parent { get; }

    internal bool IsDisposed => _disposed;

    /// <summary>Bytes the tracked graphs hold for backward now (elements × element size of each saved tensor).</summary>
    public long SavedBytes => Interlocked.Read(ref _saved);

    /// <summary>The largest <see cref="SavedBytes"/> since the scope started (or the last <see cref="ResetPeak"/>).</summary>
    public long PeakSavedBytes => Interlocked.Read(ref _peak);

    /// <summary>Forward steps checkpointing re-ran for the tracked graphs since the scope started (or the last <see cref="ResetPeak"/>).</summary>
    public long RecomputedSteps => Interlocked.Read(ref _recomputed);

    /// <summary>Sets the peak to the current live bytes and the recompute counter to zero.</summary>
    public void ResetPeak()
    {
        Interlocked.Exchange(ref _peak, SavedBytes);
        Interlocked.Exchange(ref _recomputed, 0);
    }

    /// <summary>
    /// Stops charging graphs built from now on to this tracker (call it on the thread that started the scope);
    /// the graphs already charged keep reporting to it.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        MemoryStats.EndTracking();
    }

    internal void Add(long bytes)
    {
        long now = Interlocked.Add(ref _saved, bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
    }

    internal void AddRecomputed(long steps) => Interlocked.Add(ref _recomputed, steps);

    /// <inheritdoc />
    public override string ToString() => $"saved {SavedBytes:N0} B, peak {PeakSavedBytes:N0} B, recomputed {RecomputedSteps} steps";
}
