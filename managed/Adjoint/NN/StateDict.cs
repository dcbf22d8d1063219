namespace Adjoint.NN;

/// <summary>
/// An ordered map from dotted names ("layers.0.weight") to tensors: the parameters and buffers of a
/// <see cref="Module"/>, or what a model file holds. Order is insertion order (registration order for a module).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "StateDict is the established name (PyTorch state_dict).")]
public sealed class StateDict : IReadOnlyDictionary<string, Tensor>
{
    private readonly List<KeyValuePair<string, Tensor>> _entries = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    /// <summary>Free-form string metadata (saved in the safetensors header's <c>__metadata__</c>).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds an entry; names must be unique.</summary>
    public void Add(string name, Tensor tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(tensor);
        if (_index.ContainsKey(name)) throw new ArgumentException($"StateDict: duplicate name '{name}'.", nameof(name));
        _index[name] = _entries.Count;
        _entries.Add(new(name, tensor));
    }

    /// <inheritdoc />
    public Tensor this[string key] => _index.TryGetValue(key, out int i)
        ? _entries[i].Value
        : throw new KeyNotFoundException($"StateDict: no entry named '{key}'.");

    /// <inheritdoc />
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    /// <inheritdoc />
    public IEnumerable<Tensor> Values => _entries.Select(e => e.Value);

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _index.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out Tensor value)
    {
        if (_index.TryGetValue(key, out int i)) { value = _entries[i].Value; return true; }
        value = null;
        return false;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() => _entries.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Total bytes of the tensors' elements.</summary>
    public long Bytes => _entries.Sum(e => e.Value.NumElements * e.Value.DType.ElementSize());
}
