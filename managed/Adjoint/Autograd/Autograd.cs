namespace Adjoint;

/// <summary>
/// Entry points of reverse-mode automatic differentiation: gradient computation without touching
/// <see cref="Tensor.Grad"/>, and the thread-local mode scopes.
/// </summary>
/// <example><code>
/// using (Autograd.NoGrad()) { w.AddInPlace(w.Grad!, -0.1); }
/// </code></example>
public static class Autograd
{
    /// <summary>
    /// Returns Σᵢ vᵢᵀ·∂outputᵢ/∂input for each input, where vᵢ = <paramref name="gradOutputs"/>[i] (1 for
    /// one-element outputs when omitted). Leaves' <see cref="Tensor.Grad"/> is not modified.
    /// </summary>
    /// <param name="outputs">The differentiated tensors.</param>
    /// <param name="inputs">The tensors to differentiate with respect to (leaves or intermediate results).</param>
    /// <param name="gradOutputs">Cotangents vᵢ, one per output (null entries allowed for one-element outputs).</param>
    /// <param name="retainGraph">Keep the graph for another backward (default: <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record this backward so the results can be differentiated again.</param>
    /// <param name="allowUnused">Return null for an input the outputs do not depend on, instead of throwing.</param>
    /// <param name="materializeGrads">Return zeros instead of null for unused inputs (implies <paramref name="allowUnused"/>).</param>
    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? gradOutputs = null,
                                 bool? retainGraph = null, bool createGraph = false,
                                 bool allowUnused = false, bool materializeGrads = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        if (outputs.Length == 0) throw new ArgumentException("Autograd.Grad: no outputs given.", nameof(outputs));
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"Autograd.Grad: {gradOutputs.Length} gradOutputs for {outputs.Length} outputs.", nameof(gradOutputs));
        var seeds = new Tensor[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
            seeds[i] = SeedGradient(outputs[i], gradOutputs?[i], "Autograd.Grad");
        var result = Engine.Run(outputs, seeds, retainGraph ?? createGraph, createGraph, inputs)!;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] is not null) continue;
            if (materializeGrads) { result[i] = Tensor.ZerosLike(inputs[i]); continue; }
            if (!allowUnused)
                throw new InvalidOperationException(
                    $"Autograd.Grad: input {i} (shape {Shapes.Format(inputs[i].ShapeArray)}) was not used to compute the outputs. Pass allowUnused: true to get null for it.");
        }
        return result;
    }

    /// <summary>Single-output, single-input form of <see cref="Grad(Tensor[], Tensor[], Tensor?[], bool?, bool, bool, bool)"/>.</summary>
    public static Tensor Grad(Tensor output, Tensor input, Tensor? gradOutput = null, bool? retainGraph = null, bool createGraph = false) =>
        Grad([output], [input], [gradOutput], retainGraph, createGraph)[0]!;

    /// <summary>Ops inside the returned scope record no graph (their results do not require grad). Per thread; nests.</summary>
    public static IDisposable NoGrad() => GradMode.Set(false);

    /// <summary>Re-enables recording inside a <see cref="NoGrad"/> scope. Per thread; nests.</summary>
    public static IDisposable EnableGrad() => GradMode.Set(true);

    /// <summary>True when ops on the calling thread currently record the graph.</summary>
    public static bool IsGradEnabled => GradMode.IsEnabled;

    /// <summary>
    /// Like <see cref="NoGrad"/>, and tensors created inside are marked as inference tensors, which can never
    /// be saved for backward later (using one in a recorded op throws).
    /// </summary>
    public static IDisposable InferenceMode() => GradMode.EnterInference();

    /// <summary>
    /// Inside the scope, every op remembers where it was created, every backward result is checked for NaN/Inf,
    /// and errors in backward name the op and that place in user code. Slower; for debugging.
    /// </summary>
    public static IDisposable DetectAnomaly() => GradMode.EnterAnomaly();

    /// <summary>
    /// Inside the scope, every tensor saved for backward is passed through <paramref name="pack"/> when saved and
    /// through <paramref name="unpack"/> when backward needs it (offload to disk, compress, count…).
    /// </summary>
    public static IDisposable SavedTensorHooks(Func<Tensor, object> pack, Func<object, Tensor> unpack)
    {
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(unpack);
        return SavedTensorHookStack.Push(pack, unpack);
    }

    internal static Tensor SeedGradient(Tensor output, Tensor? gradient, string op)
    {
        if (gradient is null)
        {
            if (output.NumElements != 1)
                throw new ArgumentException(
                    $"{op}: a gradient can be implied only for one-element outputs; this output has shape {Shapes.Format(output.ShapeArray)}. Pass the gradient ∂L/∂output explicitly.");
            return Tensor.OnesLike(output);
        }
        if (!gradient.Shape.SequenceEqual(output.Shape))
            throw new ArgumentException($"{op}: gradient shape {Shapes.Format(gradient.ShapeArray)} does not match output shape {Shapes.Format(output.ShapeArray)}.");
        if (gradient.DType != output.DType)
            throw new ArgumentException($"{op}: gradient dtype {gradient.DType} does not match output dtype {output.DType}.");
        return gradient;
    }
}
