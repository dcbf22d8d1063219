namespace Adjoint.Optim;

/// <summary>
/// A learning-rate schedule: sets <see cref="Optimizer.LearningRate"/> from the epoch count. Call
/// <see cref="Step"/> once per epoch (or per step, if the schedule is counted in steps) after the optimizer steps.
/// The rate is a closed-form function of the epoch, so schedules can be inspected before training.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Attaches the schedule to <paramref name="optimizer"/>; its current rate becomes the base rate.</summary>
    protected LearningRateSchedule(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLearningRate = optimizer.LearningRate;
    }

    /// <summary>The optimizer whose rate is set.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The rate at epoch 0.</summary>
    public double BaseLearningRate { get; }

    /// <summary>Epochs completed (calls to <see cref="Step"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>The rate the schedule gives at <paramref name="epoch"/>.</summary>
    public abstract double LearningRateAt(int epoch);

    /// <summary>Advances one epoch and sets the optimizer's rate for the next one.</summary>
    public void Step()
    {
        Epoch++;
        Optimizer.LearningRate = LearningRateAt(Epoch);
    }
}

/// <summary>Step decay: η_t = η₀ · γ^⌊t / stepSize⌋ (PyTorch's StepLR).</summary>
public sealed class StepLR : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        if (!(gamma > 0)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "StepLR: gamma must be > 0.");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays.</summary>
    public int StepSize { get; }

    /// <summary>Decay factor.</summary>
    public double Gamma { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(Gamma, epoch / StepSize);
}

/// <summary>
/// Cosine annealing: η_t = η_min + (η₀ − η_min)·(1 + cos(π·t / T))/2 for t ≤ T, then η_min
/// (PyTorch's CosineAnnealingLR in closed form, without restarts).
/// </summary>
public sealed class CosineAnnealingLR : LearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double minLearningRate = 0) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tMax);
        TMax = tMax;
        MinLearningRate = minLearningRate;
    }

    /// <summary>T, the epochs of one half cosine.</summary>
    public int TMax { get; }

    /// <summary>η_min.</summary>
    public double MinLearningRate { get; }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) =>
        epoch >= TMax ? MinLearningRate : MinLearningRate + (BaseLearningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2;
}
