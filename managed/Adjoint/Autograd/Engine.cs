namespace Adjoint;

// Note [Backward order]
// One backward call walks the graph once. A first pass from the roots counts, for every node that will run,
// how many edges point at it (dependencies). A node runs when its count reaches zero, so all of its incoming
// gradients have been summed into its input buffer before its VJP sees them. Among ready nodes the one
// created last runs first, which releases the most recent (usually largest) saved activations early.
//
// When inputs are given (Autograd.Grad), a node runs only if one of the inputs can be reached from it;
// gradients are captured where the inputs' edges point, and leaves' .Grad is never touched.

/// <summary>The reverse-mode engine: one call of <see cref="Run"/> is one backward pass.</summary>
internal static class Engine
{
    public static Tensor?[]? Run(Tensor[] roots, Tensor[] rootGrads, bool retainGraph, bool createGraph, Tensor[]? inputs)
    {
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

        var dependencies = new Dictionary<Node, int>(order.Count, ReferenceEqualityComparer.Instance);
        foreach (var node in order)
        {
            if (runs is not null && !runs.Contains(node)) continue;
            foreach (var e in node.Next)
                if (e.Node is not null && (needed is null || needed.Contains(e.Node)))
                    dependencies[e.Node] = dependencies.GetValueOrDefault(e.Node) + 1;
        }

        var buffers = new Dictionary<Node, Tensor?[]>(ReferenceEqualityComparer.Instance);
        // Sums the engine made itself belong to nobody else, so (without createGraph) further contributions
        // are added into them in place instead of allocating a new tensor per contribution.
        var owned = createGraph || ForwardAD.IsActive ? null : new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < roots.Length; i++)
            Accumulate(buffers, rootEdges[i], rootGrads[i], owned);

        var ready = new PriorityQueue<Node, long>();
        foreach (var e in rootEdges)
            if (dependencies.GetValueOrDefault(e.Node!) == 0 && buffers.ContainsKey(e.Node!) && !IsQueued(ready, e.Node!))
                ready.Enqueue(e.Node!, -e.Node!.SequenceNr);

        var executed = new List<Node>();
        using (GradMode.Set(createGraph))
        {
            while (ready.TryDequeue(out var node, out _))
            {
                var grads = buffers[node];
                buffers.Remove(node);
                // From here the sums may be passed through a VJP to several places: no longer ours to overwrite.
                if (owned is not null)
                    foreach (var g in grads) if (g is not null) owned.Remove(g);
                for (int k = 0; k < grads.Length; k++)
                    if (grads[k] is not null) grads[k] = node.RunPreHooks(k, grads[k]!);

                if (captures is not null && captures.TryGetValue(node, out var targets))
                    foreach (var (slot, index) in targets)
                        captured![index] = captured[index] is null ? grads[slot] : grads[slot] is null ? captured[index] : captured[index]! + grads[slot]!;

                if (runs is not null && !runs.Contains(node)) continue;

                Tensor?[] results;
                try
                {
                    results = node.Apply(grads, createGraph);
                }
                catch (Exception ex) when (node.CreationTrace is not null && ex is not AnomalyException)
                {
                    throw new AnomalyException($"Backward of {node.Name} failed: {ex.Message}\nThe op was created at:\n{node.CreationTrace}", ex);
                }
                executed.Add(node);
                if (GradMode.AnomalyDetection) CheckFinite(node, results);

                for (int i = 0; i < node.Next.Length; i++)
                {
                    var e = node.Next[i];
                    if (e.Node is null) continue;
                    if (needed is not null && !needed.Contains(e.Node)) continue;
                    if (i < results.Length && results[i] is not null) Accumulate(buffers, e, results[i]!, owned);
                    int left = dependencies[e.Node] - 1;
                    dependencies[e.Node] = left;
                    if (left == 0 && buffers.ContainsKey(e.Node)) ready.Enqueue(e.Node, -e.Node.SequenceNr);
                }
            }
        }

        if (!retainGraph)
            foreach (var node in executed) node.ReleaseSaved();
        return captured;
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

    private static bool IsQueued(PriorityQueue<Node, long> queue, Node node)
    {
        foreach (var (n, _) in queue.UnorderedItems)
            if (ReferenceEquals(n, node)) return true;
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

    private static void Accumulate(Dictionary<Node, Tensor?[]> buffers, Edge edge, Tensor grad, HashSet<Tensor>? owned)
    {
        var node = edge.Node!;
        if (!buffers.TryGetValue(node, out var slots)) buffers[node] = slots = new Tensor?[node.NumOutputs];
        var existing = slots[edge.InputNr];
        if (existing is null)
        {
            slots[edge.InputNr] = grad;
        }
        else if (owned is not null && owned.Contains(existing) && existing.Shape.SequenceEqual(grad.Shape))
        {
            Kernels.AddInto(existing, grad, 1);
        }
        else
        {
            var sum = existing + grad;
            owned?.Add(sum);
            slots[edge.InputNr] = sum;
        }
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
