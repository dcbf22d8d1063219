using System.Buffers.Binary;
using System.IO.Compression;

namespace Adjoint.Cli.Data;

/// <summary>An IDX array of unsigned bytes: its dimensions and its data in row-major order.</summary>
/// <param name="Dims">Extents, outermost first (e.g. [60000, 28, 28]).</param>
/// <param name="Data">The elements.</param>
public sealed record IdxArray(int[] Dims, byte[] Data);

/// <summary>
/// The IDX format of the MNIST files: a 4-byte magic number (two zero bytes, a type code — 0x08 for unsigned
/// bytes — and the number of dimensions), one big-endian 32-bit extent per dimension, then the data. Files ending
/// in <c>.gz</c> are decompressed. Every field is checked against the file's length.
/// </summary>
public static class Idx
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads an unsigned-byte IDX file.</summary>
    /// <exception cref="InvalidDataException">The file is not an unsigned-byte IDX file or is truncated.</exception>
    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        using (var file = File.OpenRead(path))
        using (var buffer = new MemoryStream())
        {
            Stream source = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            try
            {
                source.CopyTo(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message}).", e);
            }
            bytes = buffer.ToArray();
        }
        if (bytes.Length < 4) throw new InvalidDataException($"{path}: {bytes.Length} bytes is too short for an IDX file.");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidDataException($"{path}: not an IDX file (the magic number must start with two zero bytes, found 0x{bytes[0]:X2} 0x{bytes[1]:X2}).");
        if (bytes[2] != UnsignedByte)
            throw new InvalidDataException($"{path}: IDX type code 0x{bytes[2]:X2} is not supported; MNIST files hold unsigned bytes (0x08).");
        int rank = bytes[3];
        if (rank == 0) throw new InvalidDataException($"{path}: an IDX file needs at least one dimension.");
        if (bytes.Length < 4 + 4 * rank) throw new InvalidDataException($"{path}: truncated in the dimension list ({rank} dimensions).");
        var dims = new int[rank];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            uint extent = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (extent > int.MaxValue) throw new InvalidDataException($"{path}: dimension {d} has an implausible extent {extent}.");
            dims[d] = (int)extent;
            count *= extent;
        }
        long header = 4 + 4L * rank;
        if (bytes.Length - header != count)
            throw new InvalidDataException($"{path}: the dimensions [{string.Join(", ", dims)}] need {count} bytes of data but the file has {bytes.Length - header}.");
        return new IdxArray(dims, bytes.AsSpan((int)header).ToArray());
    }

    /// <summary>Writes an unsigned-byte IDX file (used by tests and to export data).</summary>
    public static void Write(string path, int[] dims, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(data);
        long count = dims.Aggregate(1L, (p, d) => p * d);
        if (count != data.Length) throw new ArgumentException($"Idx.Write: dims [{string.Join(", ", dims)}] need {count} bytes, got {data.Length}.", nameof(data));
        using var file = File.Create(path);
        file.Write([0, 0, UnsignedByte, (byte)dims.Length]);
        Span<byte> extent = stackalloc byte[4];
        foreach (int d in dims)
        {
            BinaryPrimitives.WriteUInt32BigEndian(extent, (uint)d);
            file.Write(extent);
        }
        file.Write(data);
    }

    /// <summary>
    /// Loads an images file [N, rows, cols] and a labels file [N] as a data set with pixels scaled to [0, 1].
    /// </summary>
    public static Dataset LoadImagesAndLabels(string imagesPath, string labelsPath, int limit = int.MaxValue)
    {
        var images = Read(imagesPath);
        var labels = Read(labelsPath);
        if (images.Dims.Length < 2) throw new InvalidDataException($"{imagesPath}: an images file needs [N, …] with at least 2 dimensions, got [{string.Join(", ", images.Dims)}].");
        if (labels.Dims.Length != 1) throw new InvalidDataException($"{labelsPath}: a labels file is one-dimensional, got [{string.Join(", ", labels.Dims)}].");
        if (images.Dims[0] != labels.Dims[0])
            throw new InvalidDataException($"{imagesPath} holds {images.Dims[0]} images but {labelsPath} holds {labels.Dims[0]} labels.");
        int n = Math.Min(images.Dims[0], limit);
        int dim = images.Dims.Skip(1).Aggregate(1, (p, d) => p * d);
        var features = new float[(long)n * dim];
        for (long i = 0; i < features.Length; i++) features[i] = images.Data[i] / 255f;
        var y = new int[n];
        for (int i = 0; i < n; i++) y[i] = labels.Data[i];
        return new Dataset(features, y, dim, Math.Max(10, y.Length == 0 ? 0 : y.Max() + 1));
    }
}
