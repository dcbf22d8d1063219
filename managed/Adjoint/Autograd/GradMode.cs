namespace Adjoint;

/// <summary>
/// Thread-local switches of the autograd engine. Each switch is changed only through a <c>using</c> scope
/// (<see cref="Adjoint.Autograd.NoGrad"/> and friends) that restores the previous value, so
/// modes nest and never leak across threads.
/// </summary>
internal static class GradMode
{
    [ThreadStatic] private static bool _disabled;
    [ThreadStatic] private static int _inferenceDepth;
    [ThreadStatic] private static int _anomalyDepth;

    /// <summary>True when ops record graph nodes on this thread.</summary>
    public static bool IsEnabled => !_disabled;

    /// <summary>True inside <see cref="Adjoint.Autograd.InferenceMode"/> on this thread.</summary>
    public static bool IsInference => _inferenceDepth > 0;

    /// <summary>True inside <see cref="Adjoint.Autograd.DetectAnomaly"/> on this thread.</summary>
    public static bool AnomalyDetection => _anomalyDepth > 0;

    public static IDisposable Set(bool enabled)
    {
        bool previous = !_disabled;
        _disabled = !enabled;
        return new Restore(() => _disabled = !previous);
    }

    public static IDisposable EnterInference()
    {
        bool previous = !_disabled;
        _disabled = true;
        _inferenceDepth++;
        return new Restore(() => { _inferenceDepth--; _disabled = !previous; });
    }

    public static IDisposable EnterAnomaly()
    {
        _anomalyDepth++;
        return new Restore(() => _anomalyDepth--);
    }

    /// <summary>Undo action run once; a second Dispose does nothing.</summary>
    internal sealed class Restore(Action undo) : IDisposable
    {
        private Action? _undo = undo;

        public void Dispose()
        {
            _undo?.Invoke();
            _undo = null;
        }
    }
}
