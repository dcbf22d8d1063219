using System.Diagnostics;

namespace Adjoint;

/// <summary>An edge of the backward graph: the gradient for output <see cref="InputNr"/> of <see cref="Node"/>.</summary>
public readonly record struct Edge(Node? Node, int InputNr)
{
    /// <summary>True when no gradient flows along this edge (the input did not require grad).</summary>
    public bool IsEmpty => Node is null;
}

/// <summary>
/// A node of the backward graph (<c>Tensor.GradFn</c>): one recorded op. It maps the gradients of the op's
/// outputs to the gradients of its inputs and knows where to send each of them (<see cref="NextEdges"/>).
/// </summary>
public abstract class Node
{
    private static long _sequence;

    internal Edge[] Next;
    private List<Func<Tensor, Tensor?>>?[]? _preHooks;

    /// <summary>Creates a node with the given number of outputs and edges to its inputs.</summary>
    protected Node(int numOutputs, Edge[] next)
    {
        NumOutputs = numOutputs;
        Next = next;
        SequenceNr = Interlocked.Increment(ref _sequence);
        if (GradMode.AnomalyDetection) CreationTrace = new StackTrace(2, true).ToString();
    }

    /// <summary>The op's name, e.g. "MatMul"; the backward node of a leaf is "AccumulateGrad".</summary>
    public abstract string Name { get; }

    /// <summary>How many outputs the recorded op had (gradients this node receives).</summary>
    public int NumOutputs { get; }

    /// <summary>Where the gradients of the op's inputs go: one edge per input, empty for inputs that need none.</summary>
    public IReadOnlyList<Edge> NextEdges => Next;

    /// <summary>The backward nodes of the op's inputs (null for inputs that need no gradient).</summary>
    public IEnumerable<Node?> Inputs => Next.Select(e => e.Node);

    /// <summary>Creation order; later nodes run earlier in backward when several are ready.</summary>
    internal long SequenceNr { get; }

    /// <summary>Where in user code the op ran, captured only under <see cref="Autograd.DetectAnomaly"/>.</summary>
    internal string? CreationTrace { get; }

    /// <summary>Computes the input gradients from the (summed) output gradients; null entries mean "no gradient".</summary>
    internal abstract Tensor?[] Apply(Tensor?[] gradOutputs, bool createGraph);

    /// <summary>Drops saved tensors after a backward pass without <c>retainGraph</c>.</summary>
    internal virtual void ReleaseSaved() { }

    internal IDisposable AddPreHook(int outputNr, Func<Tensor, Tensor?> hook)
    {
        _preHooks ??= new List<Func<Tensor, Tensor?>>?[NumOutputs];
        var list = _preHooks[outputNr] ??= [];
        list.Add(hook);
        return new GradMode.Restore(() => list.Remove(hook));
    }

    /// <summary>True when hooks are registered on output <paramref name="outputNr"/> (they may keep or replace the gradient).</summary>
    internal bool HasPreHooks(int outputNr) => _preHooks?[outputNr] is { Count: > 0 };

    /// <summary>
    /// Whether the engine may take over the tensors <see cref="Apply"/> just created (see Note [Fresh gradients]):
    /// true for the library's own rules, which keep no reference to their results.
    /// </summary>
    internal virtual bool ResultsAreUnshared => true;

    /// <summary>Runs the gradient hooks registered on output <paramref name="outputNr"/>; a hook may replace the gradient.</summary>
    internal Tensor RunPreHooks(int outputNr, Tensor grad)
    {
        var list = _preHooks?[outputNr];
        if (list is null) return grad;
        foreach (var hook in list.ToArray())
            grad = hook(grad) ?? grad;
        return grad;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}
