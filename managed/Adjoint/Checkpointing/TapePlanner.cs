namespace Adjoint;

// Note [What a tape must run]
// A saved tensor of unit u is one of four things, decided by identity in the forward pass:
//   Input(i)   the unit's i-th input, x_{u-1}[i];
//   Output(i)  the unit's i-th output, x_u[i];
//   External   a leaf that requires grad and existed outside the unit (a parameter the layer closes over);
//   Internal   anything the unit made on the way (only running the unit again gives it back).
// Recording units a+1..b again is only needed for what cannot be had otherwise. An External tensor is read
// straight from the (weakly referenced, version-checked) parameter when backward asks for it: it is the very
// object a recomputation would save, so it is never recomputed and never held. An Input or Output slot needs
// x_p, which is free when it is available: the chain's input, a snapshot, or a held slot that is that tensor.
// So unit u runs again only if it has an unread Internal slot (or a parameter that is gone), if some unread
// slot needs x_u and x_u is not available, or if a unit after it runs and needs x_u as its input. The units
// that run form ranges, each started from the nearest available position; the Input and Output slots of the
// units that do not run are filled from the available tensors and the ranges' ends. In a segment (a, M] whose
// end x_M is still a snapshot, a layer that saves only its input, its output and its parameters (y = tanh(x·W
// + b)) is not run at all: its segment recomputes M − a − 1 layers instead of M − a.

/// <summary>What one saved tensor of a checkpointed unit is, relative to the unit (see Note [What a tape must run]).</summary>
internal enum SlotKind { Internal, Input, Output, External }

/// <summary>The kind of a saved tensor and, for Input/Output, which input or output it is.</summary>
internal readonly record struct SlotSource(SlotKind Kind, int Index)
{
    public static SlotSource Classify(Tensor t, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        for (int i = 0; i < inputs.Count; i++)
            if (ReferenceEquals(t, inputs[i])) return new(SlotKind.Input, i);
        for (int i = 0; i < outputs.Count; i++)
            if (ReferenceEquals(t, outputs[i])) return new(SlotKind.Output, i);
        // A leaf that requires grad is a parameter: created outside, alive as long as the model is.
        if (t.GradFn is null && t.RequiresGrad) return new(SlotKind.External, 0);
        return new(SlotKind.Internal, 0);
    }
}

/// <summary>Which units of a tape (a, b] must run again (Note [What a tape must run]); shared by the frame and the plan.</summary>
internal static class TapePlanner
{
    /// <param name="a">The tape starts from x_a, which is available.</param>
    /// <param name="b">Last unit of the tape.</param>
    /// <param name="unfillable">Unit u has an unread, unheld slot that only running it gives back.</param>
    /// <param name="outputNeeded">Some unread, unheld slot of unit p (Output) or of unit p + 1 ≤ b (Input) needs x_p.</param>
    /// <param name="available">x_p can be had without running anything.</param>
    /// <returns>run[u] for u in a+1..b (index 0..a unused).</returns>
    public static bool[] MustRun(int a, int b, Func<int, bool> unfillable, Func<int, bool> outputNeeded, Func<int, bool> available)
    {
        var run = new bool[b + 1];
        for (int u = a + 1; u <= b; u++)
            run[u] = unfillable(u) || (outputNeeded(u) && !available(u));
        // A unit that runs needs its input: from an available position, or by running the unit before it.
        for (int u = b; u > a + 1; u--)
            if (run[u] && !run[u - 1] && !available(u - 1)) run[u - 1] = true;
        return run;
    }

    /// <summary>The maximal ranges [start, end] of units that run; each starts from x_{start-1}.</summary>
    public static IEnumerable<(int Start, int End)> Ranges(bool[] run, int a, int b)
    {
        for (int u = a + 1; u <= b; u++)
        {
            if (!run[u]) continue;
            int s = u;
            while (u + 1 <= b && run[u + 1]) u++;
            yield return (s, u);
        }
    }
}
