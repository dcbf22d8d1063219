namespace Adjoint;

// Note [Backward order]
// One backward call walks the graph once. A first pass from the roots counts, for every node that will run,
// how many edges point at it (dependencies). A node runs when its count reaches zero, so all of its incoming
// gradients have been summed into its input buffer before its VJP sees them. Among ready nodes the one
// created last runs first, which releases the most recent (usually largest) saved activations early.
//
// When inputs are given (Autograd.Grad), a node runs only if one of the inputs can be reached from it;
// gradients are captured where the inputs' edges point, and leaves' .Grad is never touched.

// Note [Fresh gradients]
// Without createGraph, a gradient that a rule has just created and that nothing else references can be taken
// over instead of copied: further contributions are added into it in place, and a leaf whose .Grad is empty
// adopts it as .Grad (PyTorch steals such a gradient when its refcount is 1). .NET has no reference count on the
// Tensor object, so "nothing else references it" is established from what is known instead: the tensor was
// created during the rule's Apply (its Serial is above the count read just before), it is the only view of its
// storage, the rule is one of the library's (Node.ResultsAreUnshared: a user's CustomFunction may cache its
// results), it appears once in the rule's results, and no hook on the receiving node could have kept it.
// Everything else (a rule passing its incoming gradient through, a view of a saved tensor, a user's seed) is
// summed out of place and cloned into .Grad as before.

/// <summary>The reverse-mode engine: one call of <see cref="Run"/> is one backward pass.</summary>
internal static class Engine
{
    // batch: 0, or B for a batched backward; every root gradient is then [B, …root shape] and the captured
    // gradients come back as [B, …input shape] (Note [Batched backward]). It needs inputs.
    // leafPrimalsUnused: the caller reads only the forward-mode tangents of the captured gradients, so a node may
    // skip the primal of a gradient that goes straight to a captured leaf (Note [Tangent-only gradients]).
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, bool retainGraph, bool createGraph, Tensor[]? inputs, int batch = 0,
                                 bool leafPrimalsUnused = false)
    {
        if (batch > 0 && inputs is null) throw new ArgumentException("Batched backward: gradients are captured for given inputs only.", nameof(inputs));
        var rootEdges = new Edge[roots.Length];
        for (int i = 0; i < roots.Length; i++)
        {
            rootEdges[i] = roots[i].GradientEdge();
            if (rootEdges[i].IsEmpty)
                throw new InvalidOperationException(
                    $"Backward: output {i} of shape [{string.Join(",", roots[i].Shape.ToArray())}] does not require grad and has no GradFn; " +
                    "did you compute it under NoGrad, or from tensors without RequiresGrad = true?");
        }

        Dictionary<Node, List<(int Slot, int InputIndex)>>? captures = null;
        Tensor?[]? captured = null;
        if (inputs is not null)
        {
            captures = new(ReferenceEqualityComparer.Instance);
            captured = new Tensor?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                var edge = inputs[i].GradientEdge();
                if (edge.IsEmpty)
                    throw new ArgumentException($"Autograd.Grad: input {i} of shape [{string.Join(",", inputs[i].Shape.ToArray())}] does not require grad.");
                if (!captures.TryGetValue(edge.Node!, out var list)) captures[edge.Node!] = list = [];
                list.Add((edge.InputNr, i));
            }
        }

        var order = Discover(rootEdges);
        HashSet<Node>? runs = null, needed = null;
        if (captures is not null)
        {
            // Post-order: children before parents, so "needed" flows up from the captured inputs.
            needed = new HashSet<Node>(ReferenceEqualityComparer.Instance);
            runs = new HashSet<Node>(ReferenceEqualityComparer.Instance);
            foreach (var node in order)
            {
                bool childNeeded = false;
                foreach (var e in node.Next)
                    if (e.Node is not null && needed.Contains(e.Node)) { childNeeded = true; break; }
                if (childNeeded && node is not AccumulateGrad) runs.Add(node);
                if (childNeeded || captures.ContainsKey(node)) needed.Add(node);
            }
        }

        // One state per node that takes part: how many producers are still to report, and the summed gradients.
        var states = new Dictionary<Node, NodeState>(order.Count, ReferenceEqualityComparer.Instance);
        NodeState State(Node n)
        {
            if (!states.TryGetValue(n, out var st)) states[n] = st = new NodeState(n.NumOutputs);
            return st;
        }
        foreach (var node in order)
        {
            if (runs is not null && !runs.Contains(node)) continue;
            foreach (var e in node.Next)
                if (e.Node is not null && (needed is null || needed.Contains(e.Node)))
                    State(e.Node).Dependencies++;
        }

        // Sums the engine made itself belong to nobody else, so (without createGraph, and with no forward level
        // watching) further contributions are added into them in place instead of allocating per contribution.
        bool sumInPlace = !createGraph && !ForwardAD.IsActive;
        for (int i = 0; i < roots.Length; i++)
            State(rootEdges[i].Node!).Accumulate(rootEdges[i].InputNr, rootGrads[i], sumInPlace, fresh: false);

        var ready = new PriorityQueue<Node, long>();
        foreach (var e in rootEdges)
        {
            var st = State(e.Node!);
            if (st.Dependencies == 0 && !st.Queued)
            {
                st.Queued = true;
                ready.Enqueue(e.Node!, -e.Node!.SequenceNr);
            }
        }

        var executed = new List<Node>();
        using (GradMode.Set(createGraph))
        {
            while (ready.TryDequeue(out var node, out _))
            {
                var state = states[node];
                bool received = state.HasGradient;
                var grads = state.TakeBuffer(out var owned);
                for (int k = 0; k < grads.Length; k++)
                    if (grads[k] is not null && node.HasPreHooks(k))
                    {
                        grads[k] = batch > 0 ? BatchedBackward.RunPreHooks(node, k, grads[k]!, batch) : node.RunPreHooks(k, grads[k]!);
                        if (owned is not null) owned[k] = false;
                    }

                if (captures is not null && captures.TryGetValue(node, out var targets))
                    foreach (var (slot, index) in targets)
                        captured![index] = captured[index] is null ? grads[slot] : grads[slot] is null ? captured[index] : captured[index]! + grads[slot]!;

                if (runs is not null && !runs.Contains(node)) continue;

                // A node all of whose producers passed no gradient runs nothing, but still reports to its inputs.
                Tensor?[] results = [];
                long createdBefore = Tensor.CreatedCount;
                if (received)
                {
                    if (leafPrimalsUnused && node is OpNode op)
                        op.UnusedPrimals = Array.ConvertAll(node.Next, e => e.Node is AccumulateGrad && captures!.ContainsKey(e.Node));
                    try
                    {
                        results = batch > 0 ? BatchedBackward.Apply(node, grads, createGraph, batch)
                            : node is AccumulateGrad leafNode && owned is not null && owned[0] ? leafNode.Adopt(grads[0]!)
                            : node.Apply(grads, createGraph);
                    }
                    catch (Exception ex) when (node.CreationTrace is not null && ex is not AnomalyException)
                    {
                        throw new AnomalyException($"Backward of {node.Name} failed: {ex.Message}\nThe op was created at:\n{node.CreationTrace}", ex);
                    }
                    finally
                    {
                        if (node is OpNode done) done.UnusedPrimals = null;
                    }
                    executed.Add(node);
                    if (GradMode.AnomalyDetection) CheckFinite(node, results);
                }

                for (int i = 0; i < node.Next.Length; i++)
                {
                    var e = node.Next[i];
                    if (e.Node is null) continue;
                    if (needed is not null && !needed.Contains(e.Node)) continue;
                    var child = states[e.Node];
                    if (i < results.Length && results[i] is not null)
                        child.Accumulate(e.InputNr, results[i]!, sumInPlace, sumInPlace && batch == 0 && IsFresh(node, results, i, createdBefore));
                    if (--child.Dependencies == 0 && !child.Queued)
                    {
                        child.Queued = true;
                        ready.Enqueue(e.Node, -e.Node.SequenceNr);
                    }
                }
            }
        }

        if (!retainGraph)
            foreach (var node in executed) node.ReleaseSaved();
        return captured;
    }

    /// <summary>Whether result <paramref name="i"/> of <paramref name="node"/>'s rule may be taken over (Note [Fresh gradients]).</summary>
    private static bool IsFresh(Node node, Tensor?[] results, int i, long createdBefore)
    {
        var r = results[i]!;
        if (r.Serial <= createdBefore || !node.ResultsAreUnshared || r.Storage.RefCount != 1) return false;
        for (int j = 0; j < results.Length; j++)
            if (j != i && ReferenceEquals(results[j], r)) return false;
        return true;
    }

    /// <summary>
    /// True when the graph of <paramref name="output"/> reaches a leaf other than <paramref name="own"/>: some
    /// outer computation is differentiating through it, so a nested transform must build its backward graph.
    /// </summary>
    public static bool ReachesOtherLeaves(Tensor output, Tensor[] own)
    {
        var edge = output.GradientEdge();
        if (edge.IsEmpty) return false;
        var mine = new HashSet<Node>(own.Where(t => t.IsLeaf && t.RequiresGrad).Select(t => (Node)t.Accumulator()), ReferenceEqualityComparer.Instance);
        foreach (var node in Discover([edge]))
            if (node is AccumulateGrad && !mine.Contains(node)) return true;
        return false;
    }

    /// <summary>Every node reachable from the roots, children before parents (iterative: graphs can be deep).</summary>
    private static List<Node> Discover(Edge[] roots)
    {
        var order = new List<Node>();
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Node Node, int NextChild)>();
        foreach (var root in roots)
        {
            if (!seen.Add(root.Node!)) continue;
            stack.Push((root.Node!, 0));
            while (stack.Count > 0)
            {
                var (node, child) = stack.Pop();
                if (child < node.Next.Length)
                {
                    stack.Push((node, child + 1));
                    var next = node.Next[child].Node;
                    if (next is not null && seen.Add(next)) stack.Push((next, 0));
                }
                else
                {
                    order.Add(node);
                }
            }
        }
        return order;
    }

    private static void CheckFinite(Node node, Tensor?[] results)
    {
        for (int i = 0; i < results.Length; i++)
        {
            var r = results[i];
            if (r is null || Ops.AllFinite(r)) continue;
            throw new AnomalyException(
                $"Anomaly: backward of {node.Name} returned non-finite values (NaN or Inf) in its gradient for input {i} " +
                $"(shape [{string.Join(",", r.Shape.ToArray())}]).\nThe op was created at:\n{node.CreationTrace ?? "(not recorded: the op ran outside DetectAnomaly)"}");
        }
    }
}

/// <summary>Thrown under <see cref="Autograd.DetectAnomaly"/> when backward produces NaN/Inf or fails; names the op and where it was created.</summary>
public sealed class AnomalyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AnomalyException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Per-backward bookkeeping of one node (see Note [Backward order]).</summary>
internal sealed class NodeState(int outputs)
{
    private Tensor?[] _buffer = new Tensor?[outputs];
    private bool[]? _owned;

    /// <summary>Producers that have not yet delivered their gradient.</summary>
    public int Dependencies;

    public bool Queued;

    public bool HasGradient { get; private set; }

    /// <summary>
    /// Adds <paramref name="grad"/> into the slot. <paramref name="fresh"/>: the engine may take it over (Note
    /// [Fresh gradients]); <paramref name="sumInPlace"/>: sums the engine makes are its own to add into later.
    /// </summary>
    public void Accumulate(int slot, Tensor grad, bool sumInPlace, bool fresh)
    {
        var existing = _buffer[slot];
        HasGradient = true;
        if (existing is null)
        {
            _buffer[slot] = grad;
            if (fresh) (_owned ??= new bool[_buffer.Length])[slot] = true;
        }
        else if (_owned is not null && _owned[slot] && existing.Shape.SequenceEqual(grad.Shape))
        {
            Kernels.AddInto(existing, grad, 1);
        }
        else if (fresh && grad.Shape.SequenceEqual(existing.Shape))
        {
            Kernels.AddInto(grad, existing, 1);
            _buffer[slot] = grad;
            (_owned ??= new bool[_buffer.Length])[slot] = true;
        }
        else
        {
            _buffer[slot] = existing + grad;
            if (_owned is not null) _owned[slot] = sumInPlace;
            else if (sumInPlace) (_owned = new bool[_buffer.Length])[slot] = true;
        }
    }

    /// <summary>
    /// Hands the summed gradients to the node's VJP; from then on they may be aliased elsewhere.
    /// <paramref name="owned"/> says which of them the engine alone holds (null: none).
    /// </summary>
    public Tensor?[] TakeBuffer(out bool[]? owned)
    {
        HasGradient = false;
        var b = _buffer;
        _buffer = new Tensor?[b.Length];
        owned = _owned;
        _owned = null;
        return b;
    }
}
