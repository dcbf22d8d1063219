using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Adjoint.NN;
using Adjoint.Serialization;
using NUnit.Framework;

namespace Adjoint.Tests.Serialization;

[TestFixture]
public class SafeTensorsTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("adjoint-st-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static Sequential Model(ulong seed, DType dtype = DType.Float32)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(3, 4, dtype: dtype, generator: g), new LayerNorm(4, dtype: dtype), new Tanh(), new Linear(4, 2, dtype: dtype, generator: g));
    }

    private static List<double[]> Values(Module m) => m.Parameters().Select(p => p.Value.To(DType.Float64).ToArray<double>()).ToList();

    [TestCase(DType.Float32)]
    [TestCase(DType.Float64)]
    public void ModuleRoundTrip(DType dtype)
    {
        using var a = Model(1, dtype);
        using var b = Model(2, dtype);
        string file = PathOf("model.safetensors");
        a.Save(file);
        b.Load(file);
        Assert.That(Values(b), Is.EqualTo(Values(a)));
        Assert.That(File.Exists(file + ".tmp-" + Environment.ProcessId), Is.False);
    }

    [Test]
    public void FileLayoutIsTheSafetensorsFormat()
    {
        using var a = Model(1);
        string file = PathOf("m.safetensors");
        a.Save(file, new Dictionary<string, string> { ["epoch"] = "3" });
        var bytes = File.ReadAllBytes(file);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.That(n % 8, Is.Zero, "header padded to 8 bytes");
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var root = doc.RootElement;
        Assert.That(root.GetProperty("__metadata__").GetProperty("epoch").GetString(), Is.EqualTo("3"));
        var w = root.GetProperty("0.weight");
        Assert.That(w.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        Assert.That(w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 4, 3 }));
        long begin = w.GetProperty("data_offsets")[0].GetInt64();
        var expected = a.NamedParameters().First(p => p.Name == "0.weight").Parameter.Value.ToArray<float>();
        for (int i = 0; i < expected.Length; i++)
            Assert.That(BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(8 + n + begin + 4 * i))), Is.EqualTo(expected[i]));
        Assert.That(root.EnumerateObject().Count(), Is.EqualTo(1 + 6));
    }

    /// <summary>Writes a file byte by byte, as another tool would: any key order, unpadded header.</summary>
    private string Write(string name, string header, byte[] data, long? claimedLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(claimedLength ?? h.Length));
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string file = PathOf(name);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    private static byte[] Doubles(params double[] v)
    {
        var b = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]);
        return b;
    }

    [Test]
    public void ReadsAFileWrittenByAnotherTool()
    {
        string file = Write("other.safetensors",
            """{"b":{"dtype":"F64","shape":[],"data_offsets":[24,32]},"a":{"shape":[3],"dtype":"F64","data_offsets":[0,24]},"__metadata__":{"format":"pt"}}""",
            Doubles(1, 2, 3, 4));
        var state = SafeTensors.Load(file);
        Assert.That(state.Keys, Is.EqualTo(new[] { "b", "a" }));
        Assert.That(state["a"].ToArray<double>(), Is.EqualTo(new double[] { 1, 2, 3 }));
        Assert.That(state["b"].Rank, Is.Zero);
        Assert.That(state["b"].Item<double>(), Is.EqualTo(4));
        Assert.That(state.Metadata["format"], Is.EqualTo("pt"));
    }

    private static IEnumerable<TestCaseData> CorruptFiles()
    {
        const string ok = """{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""";
        yield return new TestCaseData(ok, 16, null, "too short").SetName("Corrupt.TruncatedLengthField");
        yield return new TestCaseData(ok, 16, 1L << 40, "not plausible").SetName("Corrupt.ImplausibleHeaderLength");
        yield return new TestCaseData(ok, 16, 4000L, "truncated").SetName("Corrupt.HeaderLongerThanFile");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]""", 16, null, "not valid JSON").SetName("Corrupt.BadJson");
        yield return new TestCaseData("[1,2]", 16, null, "must be a JSON object").SetName("Corrupt.NotAnObject");
        yield return new TestCaseData("""{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}""", 4, null, "F32 and F64 only").SetName("Corrupt.UnsupportedDtype");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[3],"data_offsets":[0,16]}}""", 16, null, "needs 24 bytes").SetName("Corrupt.ShapeDisagreesWithOffsets");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}""", 8, null, "truncated").SetName("Corrupt.TruncatedData");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}""", 16, null, "overlaps").SetName("Corrupt.Overlap");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}""", 16, null, "belong to no tensor").SetName("Corrupt.Gap");
        yield return new TestCaseData(ok, 24, null, "trailing").SetName("Corrupt.TrailingBytes");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[-2],"data_offsets":[0,16]}}""", 16, null, "invalid extent").SetName("Corrupt.NegativeExtent");
        yield return new TestCaseData("""{"a":{"dtype":"F64","shape":[2]}}""", 16, null, "data_offsets").SetName("Corrupt.NoOffsets");
    }

    [TestCaseSource(nameof(CorruptFiles))]
    public void CorruptFilesGiveAClearErrorAndLeaveTheModelUnchanged(string header, int dataBytes, long? claimed, string message)
    {
        string file = Write("bad.safetensors", header, new byte[dataBytes], claimed);
        if (message == "too short") File.WriteAllBytes(file, new byte[5]);
        var e = Assert.Throws<SafeTensorsException>(() => SafeTensors.Load(file))!;
        Assert.That(e.Message, Does.Contain(message).And.Contain(file));

        using var m = Model(1);
        var before = Values(m);
        Assert.Throws<SafeTensorsException>(() => m.Load(file));
        Assert.That(Values(m), Is.EqualTo(before));
    }

    [Test]
    public void MismatchedModelGivesAClearErrorAndLeavesTheModelUnchanged()
    {
        using var small = new Sequential(new Linear(3, 4), new Tanh(), new Linear(4, 2));
        string file = PathOf("small.safetensors");
        small.Save(file);
        using var other = Model(5);
        var before = Values(other);
        var e = Assert.Throws<StateDictMismatchException>(() => other.Load(file))!;
        Assert.That(e.Message, Does.Contain(file).And.Contain("missing '1.weight'").And.Contain("unexpected '2.weight'"));
        Assert.That(Values(other), Is.EqualTo(before));

        using var wide = new Sequential(new Linear(3, 5), new Tanh(), new Linear(5, 2));
        Assert.That(() => wide.Load(file), Throws.TypeOf<StateDictMismatchException>().With.Message.Contains("shape [4,3] does not match the model's [5,3]"));
        using var f64 = new Sequential(new Linear(3, 4, dtype: DType.Float64), new Tanh(), new Linear(4, 2, dtype: DType.Float64));
        Assert.That(() => f64.Load(file), Throws.TypeOf<StateDictMismatchException>().With.Message.Contains("dtype Float32"));
    }

    [Test]
    public void MissingFileIsNamed()
    {
        using var m = Model(1);
        Assert.That(() => m.Load(PathOf("nope.safetensors")), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("nope.safetensors"));
    }
}
