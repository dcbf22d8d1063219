namespace Adjoint.Tests.Checkpointing;

/// <summary>y = tanh(W_i·y + b_i), i = 1..L, with its parameters; loss = sum of squares.</summary>
internal sealed class TanhChain
{
    public TanhChain(int layers, int width, int batch, DType dtype, ulong seed = 7)
    {
        var g = new Generator(seed);
        Width = width;
        Batch = batch;
        DType = dtype;
        Weights = new Tensor[layers];
        Biases = new Tensor[layers];
        for (int i = 0; i < layers; i++)
        {
            Weights[i] = (Tensor.Randn([width, width], dtype, g) * (1.0 / Math.Sqrt(width))).Detach().SetRequiresGrad();
            Biases[i] = (Tensor.Randn([width], dtype, g) * 0.1).Detach().SetRequiresGrad();
        }
        Input = Tensor.Randn([batch, width], dtype, g);
        Layers = Enumerable.Range(0, layers).Select(i => (Func<Tensor, Tensor>)(x => (x.MatMul(Weights[i]) + Biases[i]).Tanh())).ToArray();
    }

    public int Width { get; }
    public int Batch { get; }
    public DType DType { get; }
    public Tensor[] Weights { get; }
    public Tensor[] Biases { get; }
    public Tensor Input { get; }
    public Func<Tensor, Tensor>[] Layers { get; }

    public IEnumerable<Tensor> Parameters => Weights.Concat(Biases);

    /// <summary>Bytes one layer saves: its input and W (MatMul) and its output (Tanh); Add saves nothing.</summary>
    public long LayerSavedBytes => (2L * Batch * Width + (long)Width * Width) * DType.ElementSize();

    public long ActivationBytes => (long)Batch * Width * DType.ElementSize();

    public static Tensor Loss(Tensor y) => (y * y).Sum();

    /// <summary>What the loss saves (Mul keeps both operands).</summary>
    public long LossSavedBytes => 2 * ActivationBytes;

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
        Input.ZeroGrad();
    }

    /// <summary>Runs forward and backward under a policy; returns the gradients and the measured peak and recomputation.</summary>
    public (List<Tensor> Grads, long Peak, long Recomputed) Train(CheckpointPolicy policy, Tensor? input = null)
    {
        ZeroGrad();
        long baseline = MemoryStats.SavedBytes;
        MemoryStats.ResetPeak();
        var y = Checkpoint.Sequential(Layers, input ?? Input, policy);
        Loss(y).Backward();
        long peak = MemoryStats.PeakSavedBytes - baseline;
        var grads = Parameters.Select(p => p.Grad!).ToList();
        if ((input ?? Input).RequiresGrad) grads.Add((input ?? Input).Grad!);
        return (grads, peak, MemoryStats.RecomputedSteps);
    }
}
