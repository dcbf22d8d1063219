namespace Adjoint;

/// <summary>What a <see cref="CheckpointPolicy"/> does with a sequential chain.</summary>
public enum CheckpointPolicyKind
{
    /// <summary>Keep every intermediate (plain reverse mode).</summary>
    None,

    /// <summary>Keep the input of every k-th layer; recompute each segment of k layers in one go during backward.</summary>
    EveryK,

    /// <summary><see cref="EveryK"/> with k = round(√L).</summary>
    SqrtN,

    /// <summary>Revolve: s snapshots, the provably minimal number of forward recomputations.</summary>
    Binomial,

    /// <summary>The schedule with the least recomputation whose peak saved bytes fit a budget.</summary>
    MemoryBudget,

    /// <summary>Segments of about √L, but saved tensors a predicate selects are kept instead of recomputed.</summary>
    Selective,
}

/// <summary>What a selective checkpoint rule sees about one tensor an op saves for backward.</summary>
/// <param name="Producer">Name of the op that produced the tensor (e.g. "MatMul", "Tanh"); null for leaves and constants.</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="DType">The tensor's element type.</param>
/// <param name="Bytes">Elements × element size: what keeping it costs.</param>
public readonly record struct SavedTensorInfo(string? Producer, IReadOnlyList<int> Shape, DType DType, long Bytes);

/// <summary>
/// How <see cref="Checkpoint.Sequential(IReadOnlyList{Func{Tensor, Tensor}}, Tensor, CheckpointPolicy, CheckpointOptions?)"/>
/// trades saved bytes for recomputation on a chain y = f_L(…f_1(x)). With L layers whose saved tensors take
/// A bytes each and whose outputs take c bytes: <see cref="None"/> keeps L·A; <see cref="EveryK"/> keeps
/// about (L/k)·c + k·A and recomputes at most L − k layers ((⌈L/k⌉ − 1)(k − 1) when a layer saves only its
/// input, its output and parameters, because a segment's last layer is rebuilt from the snapshot at its end);
/// <see cref="Binomial"/> with s snapshots keeps s·c + A and
/// recomputes <see cref="Revolve.Expense"/>(L, s) layers, the minimum for s snapshots.
/// </summary>
public sealed class CheckpointPolicy
{
    private CheckpointPolicy(CheckpointPolicyKind kind, int k = 0, long bytes = 0, Func<SavedTensorInfo, bool>? keep = null, string? name = null)
    {
        Kind = kind;
        K = k;
        BudgetBytes = bytes;
        Keep = keep;
        _name = name;
    }

    private readonly string? _name;

    /// <summary>The kind of schedule.</summary>
    public CheckpointPolicyKind Kind { get; }

    /// <summary>Segment length for <see cref="CheckpointPolicyKind.EveryK"/>, snapshot count for <see cref="CheckpointPolicyKind.Binomial"/>.</summary>
    public int K { get; }

    /// <summary>The byte budget of <see cref="CheckpointPolicyKind.MemoryBudget"/>.</summary>
    public long BudgetBytes { get; }

    /// <summary>The keep rule of <see cref="CheckpointPolicyKind.Selective"/>: true keeps the saved tensor.</summary>
    public Func<SavedTensorInfo, bool>? Keep { get; }

    /// <summary>Keep everything: no recomputation.</summary>
    public static CheckpointPolicy None { get; } = new(CheckpointPolicyKind.None);

    /// <summary>Segments of about √L layers: O(√L) memory for about one extra forward pass.</summary>
    public static CheckpointPolicy SqrtN { get; } = new(CheckpointPolicyKind.SqrtN);

    /// <summary>Segments of <paramref name="k"/> layers; the input of each is kept, the inside recomputed.</summary>
    public static CheckpointPolicy EveryK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return new(CheckpointPolicyKind.EveryK, k);
    }

    /// <summary>
    /// Revolve (Griewank &amp; Walther): at most <paramref name="snapshots"/> layer inputs are kept at once (the
    /// chain's input included) and the number of recomputed layers is the minimum possible, see
    /// <see cref="Revolve.Expense"/>.
    /// </summary>
    public static CheckpointPolicy Binomial(int snapshots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(snapshots, 1);
        return new(CheckpointPolicyKind.Binomial, snapshots);
    }

    /// <summary>
    /// The schedule with the least recomputation whose peak of saved bytes (the chain's input, snapshots and saved
    /// tensors of the chain, as <see cref="MemoryStats"/> counts them) is at most <paramref name="bytes"/>, using
    /// each layer's measured bytes and what each saved tensor is. The search covers every reversal tree (advance to
    /// x_m, keep it, reverse (m, b], then (a, m]) and, for each recomputed range, prices what the executor really
    /// does: a range (a, b] runs only units a+1..r, r being the last unit with a tensor only running it gives back
    /// or whose output is needed and not kept, so it costs r − a layers; parameters are read where they live and
    /// never held again. Dynamic programming over (a, b, bytes left, forward or backward) gives the exact minimum.
    /// Throws when even the leanest schedule does not fit, naming that minimum.
    /// </summary>
    public static CheckpointPolicy MemoryBudget(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        return new(CheckpointPolicyKind.MemoryBudget, bytes: bytes);
    }

    /// <summary>
    /// Segments of about √L layers, but every saved tensor for which <paramref name="keep"/> returns true is
    /// kept from the forward pass rather than recomputed. Backward runs again only the layers that still need
    /// something: a layer whose saved tensors are all kept, or are its input, its output (available from a kept
    /// tensor or a snapshot) or parameters, is not run; a layer that must run starts from the nearest kept input.
    /// </summary>
    public static CheckpointPolicy Selective(Func<SavedTensorInfo, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return new(CheckpointPolicyKind.Selective, keep: keep, name: "Selective(predicate)");
    }

    /// <summary>Keeps the saved tensors produced by the named ops (e.g. "MatMul") and recomputes the rest.</summary>
    public static CheckpointPolicy SelectiveOps(params string[] keepProducers)
    {
        ArgumentNullException.ThrowIfNull(keepProducers);
        var set = new HashSet<string>(keepProducers, StringComparer.Ordinal);
        return new(CheckpointPolicyKind.Selective, keep: info => info.Producer is not null && set.Contains(info.Producer),
                   name: $"SelectiveOps({string.Join(", ", keepProducers)})");
    }

    /// <inheritdoc />
    public override string ToString() => _name ?? Kind switch
    {
        CheckpointPolicyKind.EveryK => $"EveryK({K})",
        CheckpointPolicyKind.Binomial => $"Binomial({K})",
        CheckpointPolicyKind.MemoryBudget => $"MemoryBudget({BudgetBytes})",
        _ => Kind.ToString(),
    };
}

/// <summary>Options of one checkpointed call.</summary>
public sealed class CheckpointOptions
{
    /// <summary>
    /// Compare every recomputed saved tensor with a fingerprint (64-bit hash of its bytes) taken in the forward
    /// pass and throw <see cref="CheckpointMismatchException"/> on a difference. Costs one read of each tensor.
    /// Shapes and dtypes are always checked, and so is the number of saved tensors of a unit that is recomputed with
    /// the graph recorded (a unit recomputed only for its input and output values runs without it).
    /// </summary>
    public bool DeterminismCheck { get; init; }

    /// <summary>
    /// Generators whose state is restored before recomputation, in addition to <see cref="Generator.Default"/>
    /// (pass the ones the segment draws from).
    /// </summary>
    public IReadOnlyList<Generator> Generators { get; init; } = [];

    /// <summary>For <see cref="Checkpoint.Run(Func{Tensor[], Tensor[]}, Tensor[], CheckpointOptions?)"/>: saved tensors to keep instead of recompute.</summary>
    public Func<SavedTensorInfo, bool>? Keep { get; init; }
}

/// <summary>Thrown when a recomputed segment does not reproduce what its forward pass saved.</summary>
public sealed class CheckpointMismatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointMismatchException(string message) : base(message) { }
}
