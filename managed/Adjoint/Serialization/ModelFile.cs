using Adjoint.NN;

namespace Adjoint.Serialization;

/// <summary>
/// Saving and loading a <see cref="Module"/>'s state dict as a safetensors file (see <see cref="SafeTensors"/>).
/// Loading reads the whole file into temporaries and checks it against the model before writing anything, so a
/// bad, truncated or mismatched file leaves the model exactly as it was.
/// </summary>
public static class ModelFile
{
    /// <summary>Writes the module's parameters and buffers (dotted names, e.g. "0.weight") to <paramref name="path"/>.</summary>
    public static void Save(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = TensorScope.Begin();
        var state = module.StateDict();
        SafeTensors.Save(path, state, metadata ?? new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "Adjoint" });
    }

    /// <summary>
    /// Loads <paramref name="path"/> into the module. With <paramref name="strict"/> every parameter and buffer must
    /// be in the file and the file must hold nothing else; shapes and dtypes must match.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is not valid safetensors (the model is unchanged).</exception>
    /// <exception cref="StateDictMismatchException">The file does not fit the model (the model is unchanged).</exception>
    public static void Load(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var scope = TensorScope.Begin();
        var state = SafeTensors.Load(path);
        try
        {
            module.LoadStateDict(state, strict);
        }
        catch (StateDictMismatchException e)
        {
            throw new StateDictMismatchException($"{path}: {e.Message}", e);
        }
    }
}
