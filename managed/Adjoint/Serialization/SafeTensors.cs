using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Adjoint.NN;

namespace Adjoint.Serialization;

/// <summary>One tensor entry of a safetensors header.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">Element type (F32 or F64 are the ones Adjoint reads).</param>
/// <param name="Shape">Extents.</param>
/// <param name="Begin">First byte in the data section.</param>
/// <param name="End">One past the last byte in the data section.</param>
public sealed record SafeTensorsEntry(string Name, DType DType, IReadOnlyList<int> Shape, long Begin, long End);

/// <summary>A validated safetensors header: the entries in file order and the free-form metadata.</summary>
/// <param name="Entries">Tensor entries, in the order the header lists them.</param>
/// <param name="Metadata">The <c>__metadata__</c> map (empty when absent).</param>
/// <param name="DataOffset">Where the data section starts in the file (8 + header length).</param>
public sealed record SafeTensorsHeader(IReadOnlyList<SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataOffset);

/// <summary>A file that is not valid safetensors, or holds what Adjoint cannot read. The message names the file and the problem.</summary>
public sealed class SafeTensorsException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsException() : base("Invalid safetensors file.") { }

    /// <summary>Creates the exception with a message.</summary>
    public SafeTensorsException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying error.</summary>
    public SafeTensorsException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …, "__metadata__": {..}}</c>
/// (padded with spaces to a multiple of 8), then the raw little-endian, row-major data; offsets are relative to
/// the start of the data. Files written here load in Python's <c>safetensors</c> and PyTorch, and theirs load here
/// (F32 and F64). Reading validates everything — header length against the file size, JSON shape, dtypes,
/// that each byte range matches its shape, lies in the file, and that ranges neither overlap nor leave gaps —
/// before any tensor is returned.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted (as the reference implementation: 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/> (in the given order) and <paramref name="metadata"/> to <paramref name="path"/>.
    /// The file is written beside the target and moved into place, so a failure never leaves a half-written file.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, t) in list)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey) throw new ArgumentException($"SafeTensors.Save: invalid tensor name '{name}'.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"SafeTensors.Save: duplicate tensor name '{name}'.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(t);
            t.ThrowIfDisposed();
        }

        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                long bytes = t.NumElements * t.DType.ElementSize();
                json.WriteStartObject(name);
                json.WriteString("dtype", t.DType == DType.Float32 ? "F32" : "F64");
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        string full = Path.GetFullPath(path);
        string temp = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                file.Write(length);
                header.Position = 0;
                header.CopyTo(file);
                foreach (var (_, t) in list) WriteData(file, t);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static unsafe void WriteData(Stream file, Tensor t)
    {
        var c = Kernels.ContiguousTemp(t, out bool owned);
        try
        {
            long bytes = c.Count * c.ElementType.ElementSize();
            byte* p = (byte*)c.DataPointer;
            for (long done = 0; done < bytes;)
            {
                int n = (int)Math.Min(bytes - done, 1 << 30);
                file.Write(new ReadOnlySpan<byte>(p + done, n));
                done += n;
            }
            GC.KeepAlive(c);
        }
        finally
        {
            if (owned) c.Dispose();
        }
    }

    /// <summary>Reads and validates the header of <paramref name="path"/> without reading the data.</summary>
    /// <exception cref="SafeTensorsException">The file is not valid safetensors or holds dtypes Adjoint cannot read.</exception>
    public static SafeTensorsHeader ReadHeader(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = OpenRead(path);
        return ReadHeader(file, path);
    }

    /// <summary>
    /// Reads every tensor of <paramref name="path"/> into new tensors (owned by the current scope, if any), in file
    /// order, with the metadata in <see cref="StateDict.Metadata"/>. Nothing is returned unless the whole file is valid.
    /// </summary>
    /// <exception cref="SafeTensorsException">The file is not valid safetensors or holds dtypes Adjoint cannot read.</exception>
    public static StateDict Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RequireLittleEndian();
        using var file = OpenRead(path);
        var header = ReadHeader(file, path);
        var loaded = new List<Tensor>();
        try
        {
            var dict = new StateDict();
            foreach (var (k, v) in header.Metadata) dict.Metadata[k] = v;
            foreach (var e in header.Entries)
            {
                var t = Tensor.Empty(e.Shape.ToArray(), e.DType);
                loaded.Add(t);
                file.Position = header.DataOffset + e.Begin;
                ReadData(file, t, e.End - e.Begin, path, e.Name);
                dict.Add(e.Name, t);
            }
            return dict;
        }
        catch
        {
            foreach (var t in loaded) t.Dispose();
            throw;
        }
    }

    private static unsafe void ReadData(Stream file, Tensor t, long bytes, string path, string name)
    {
        byte* p = (byte*)t.DataPointer;
        for (long done = 0; done < bytes;)
        {
            int n = file.Read(new Span<byte>(p + done, (int)Math.Min(bytes - done, 1 << 30)));
            if (n == 0) throw new SafeTensorsException($"{path}: truncated while reading tensor '{name}'.");
            done += n;
        }
        GC.KeepAlive(t);
    }

    private static FileStream OpenRead(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"Model file not found: {path}", path, e);
        }
    }

    private static SafeTensorsHeader ReadHeader(FileStream file, string path)
    {
        long fileLength = file.Length;
        if (fileLength < 8) throw new SafeTensorsException($"{path}: {fileLength} bytes is too short for a safetensors file (the first 8 bytes give the header length).");
        Span<byte> lengthBytes = stackalloc byte[8];
        file.ReadExactly(lengthBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n < 2 || n > MaxHeaderBytes)
            throw new SafeTensorsException($"{path}: header length {n} is not plausible (2 … {MaxHeaderBytes} bytes); this is not a safetensors file.");
        if ((long)n > fileLength - 8)
            throw new SafeTensorsException($"{path}: the header claims {n} bytes but only {fileLength - 8} follow the length field; the file is truncated or not safetensors.");
        var headerBytes = new byte[n];
        file.ReadExactly(headerBytes);
        long dataOffset = 8 + (long)n;
        long dataLength = fileLength - dataOffset;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes.AsMemory().TrimEnd((byte)' '));
        }
        catch (JsonException e)
        {
            throw new SafeTensorsException($"{path}: the header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsException($"{path}: the header must be a JSON object, not {doc.RootElement.ValueKind}.");
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw new SafeTensorsException($"{path}: the header lists '{prop.Name}' twice.");
                if (prop.Name == MetadataKey)
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw new SafeTensorsException($"{path}: __metadata__ must be an object of strings.");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw new SafeTensorsException($"{path}: __metadata__ value '{m.Name}' must be a string.");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, prop));
            }

            // Byte ranges: each inside the data, none overlapping, together covering the data without gaps.
            var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
            long expected = 0;
            foreach (var e in sorted)
            {
                if (e.End > dataLength)
                    throw new SafeTensorsException($"{path}: tensor '{e.Name}' needs bytes [{e.Begin}, {e.End}) of the data but the file holds only {dataLength}; the file is truncated.");
                if (e.Begin < expected)
                    throw new SafeTensorsException($"{path}: tensor '{e.Name}' (bytes [{e.Begin}, {e.End})) overlaps the previous tensor, which ends at {expected}.");
                if (e.Begin > expected)
                    throw new SafeTensorsException($"{path}: bytes [{expected}, {e.Begin}) of the data belong to no tensor (before '{e.Name}').");
                expected = e.End;
            }
            if (expected != dataLength)
                throw new SafeTensorsException($"{path}: the tensors cover {expected} bytes of data but {dataLength} follow the header (trailing bytes).");
            return new SafeTensorsHeader(entries, metadata, dataOffset);
        }
    }

    private static SafeTensorsEntry ParseEntry(string path, JsonProperty prop)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw new SafeTensorsException($"{path}: entry '{name}' must be an object with dtype, shape and data_offsets.");
        if (!v.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String)
            throw new SafeTensorsException($"{path}: tensor '{name}' has no dtype string.");
        string dtypeName = dtypeJson.GetString()!;
        DType dtype = dtypeName switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            _ => throw new SafeTensorsException($"{path}: tensor '{name}' has dtype {dtypeName}; Adjoint reads F32 and F64 only."),
        };
        if (!v.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array)
            throw new SafeTensorsException($"{path}: tensor '{name}' has no shape array.");
        var shape = new List<int>();
        long numel = 1;
        foreach (var d in shapeJson.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int extent) || extent < 0)
                throw new SafeTensorsException($"{path}: tensor '{name}' has an invalid extent {d.GetRawText()} in its shape.");
            shape.Add(extent);
            numel = extent == 0 ? 0 : numel > long.MaxValue / extent ? throw new SafeTensorsException($"{path}: tensor '{name}' is too large.") : numel * extent;
        }
        if (shape.Count > Shapes.MaxRank) throw new SafeTensorsException($"{path}: tensor '{name}' has rank {shape.Count}; at most {Shapes.MaxRank} is supported.");
        if (!v.TryGetProperty("data_offsets", out var offJson) || offJson.ValueKind != JsonValueKind.Array || offJson.GetArrayLength() != 2)
            throw new SafeTensorsException($"{path}: tensor '{name}' needs data_offsets [begin, end].");
        if (!offJson[0].TryGetInt64(out long begin) || !offJson[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new SafeTensorsException($"{path}: tensor '{name}' has invalid data_offsets {offJson.GetRawText()}.");
        long bytes = numel * dtype.ElementSize();
        if (end - begin != bytes)
            throw new SafeTensorsException($"{path}: tensor '{name}' of shape {Shapes.Format(shape.ToArray())} {dtypeName} needs {bytes} bytes but its data_offsets [{begin}, {end}) span {end - begin}.");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SafeTensors: big-endian machines are not supported.");
    }
}
