using System.Text.RegularExpressions;
using System.Xml.Linq;
using Adjoint.Cli.Data;
using Adjoint.Serialization;
using NUnit.Framework;

namespace Adjoint.Tests.Cli;

/// <summary>Every <c>adjoint</c> command run end to end in-process: exit codes, output, the files written.</summary>
[TestFixture]
public partial class CliTests
{
    private string _dir = "";

    [SetUp]
    public void MakeDirectory() => _dir = Directory.CreateTempSubdirectory("adjoint-cli-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output) Run(params string[] args)
    {
        using var output = new StringWriter();
        int code = global::Adjoint.Cli.Cli.Run(args, output);
        return (code, output.ToString());
    }

    private static XDocument AssertSvg(string path)
    {
        Assert.That(File.Exists(path), Is.True, path);
        var doc = XDocument.Load(path);
        Assert.That(doc.Root!.Name.LocalName, Is.EqualTo("svg"));
        Assert.That(doc.Root.Name.NamespaceName, Is.EqualTo("http://www.w3.org/2000/svg"));
        return doc;
    }

    [TestCase("demo")]
    [TestCase("train")]
    [TestCase("gradcheck")]
    [TestCase("bench")]
    [TestCase("graph")]
    [TestCase("checkpoint-plan")]
    public void EveryCommandHasHelp(string command)
    {
        var (code, output) = Run(command, "--help");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("Usage:").And.Contain(command).And.Contain("--help"));
    }

    [Test]
    public void RootHelpListsTheCommands()
    {
        var (code, output) = Run("--help");
        Assert.That(code, Is.Zero);
        foreach (var c in new[] { "demo", "train", "gradcheck", "bench", "graph", "checkpoint-plan" })
            Assert.That(output, Does.Contain(c));
        Assert.That(Run("no-such-command").Code, Is.Not.Zero);
    }

    [Test]
    public void DemoTrainsComparesPoliciesAndWritesFiles()
    {
        string folder = Path.Combine(_dir, "demo");
        var (code, output) = Run("demo", "--epochs", "3", "--points", "40", "--depth", "2", "--hidden", "8", "--out", folder);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("epoch   3/3").And.Contain("Accuracy:").And.Contain("Checkpoint policies").And.Contain("Binomial(2)"));
        Assert.That(output, Does.Not.Contain("differ"));
        AssertSvg(Path.Combine(folder, "loss.svg"));
        var boundary = AssertSvg(Path.Combine(folder, "decision-boundary.svg"));
        Assert.That(boundary.Descendants().Count(e => e.Name.LocalName == "circle"), Is.EqualTo(80));
        var header = SafeTensors.ReadHeader(Path.Combine(folder, "spirals.safetensors"));
        Assert.That(header.Entries.Select(e => e.Name), Does.Contain("0.weight"));
    }

    [Test]
    public void DemoWithInfoShowsTheBackendComparison()
    {
        var (code, output) = Run("demo", "--info", "--size", "16", "--repeat", "1", "--epochs", "1", "--points", "10", "--hidden", "4", "--depth", "1", "--out", _dir);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("sum(tanh(A·B))").And.Contain("managed"));
    }

    [TestCase("--epochs", "0", 2)]
    [TestCase("--lr", "-1", 2)]
    [TestCase("--batch-size", "0", 2)]
    [TestCase("--epochs", "many", 1)]
    public void DemoRejectsBadArguments(string option, string value, int expected)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = global::Adjoint.Cli.Cli.Run(["demo", option, value, "--out", _dir], output, error);
        Assert.That(code, Is.EqualTo(expected));
        Assert.That(error.ToString(), Does.Contain(option.TrimStart('-').Split('-')[0]).Or.Contain(value));
    }

    // Three classes of 4×4 "images": a bright left column, a bright top row, or a bright diagonal, plus noise.
    private static void WriteIdx(string folder, string prefix, int count, int seed)
    {
        var rng = new Random(seed);
        var images = new byte[count * 16];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int c = i % 3;
            labels[i] = (byte)c;
            for (int p = 0; p < 16; p++)
            {
                int r = p / 4, col = p % 4;
                bool on = c == 0 ? col == 0 : c == 1 ? r == 0 : r == col;
                images[i * 16 + p] = (byte)Math.Clamp((on ? 200 : 30) + rng.Next(-30, 30), 0, 255);
            }
        }
        Idx.Write(Path.Combine(folder, prefix + "-images-idx3-ubyte"), [count, 4, 4], images);
        Idx.Write(Path.Combine(folder, prefix + "-labels-idx1-ubyte"), [count], labels);
    }

    // en-US writes percentages without the space ("100.0%"): the CLI's output must not follow the user's culture
    // (it did under wine, whose culture is en-US, for the nested test-accuracy strings).
    [Test, SetCulture("en-US")]
    public void TrainReadsIdxFilesAndWritesTheModel()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        WriteIdx(data, "train", 300, 1);
        WriteIdx(data, "t10k", 60, 2);
        string outFolder = Path.Combine(_dir, "out");
        var (code, output) = Run("train", "--data", data, "--epochs", "4", "--hidden", "16", "--batch-size", "32", "--lr", "0.05", "--out", outFolder);
        Assert.That(code, Is.Zero, output);
        var accuracy = Regex.Match(output, @"test accuracy (\d+\.\d) %");
        Assert.That(accuracy.Success, Is.True, output);
        Assert.That(double.Parse(accuracy.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(90));
        AssertSvg(Path.Combine(outFolder, "loss.svg"));
        var header = SafeTensors.ReadHeader(Path.Combine(outFolder, "model.safetensors"));
        Assert.That(header.Entries.First(e => e.Name == "0.weight").Shape, Is.EqualTo(new[] { 16, 16 }));
    }

    [Test]
    public void TrainGivesClearErrorsForMissingOrBadData()
    {
        using var error = new StringWriter();
        Assert.That(global::Adjoint.Cli.Cli.Run(["train", "--data", Path.Combine(_dir, "absent")], new StringWriter(), error), Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain("does not exist"));

        error.GetStringBuilder().Clear();
        Assert.That(global::Adjoint.Cli.Cli.Run(["train", "--data", _dir], new StringWriter(), error), Is.EqualTo(2));
        Assert.That(error.ToString(), Does.Contain("train-images-idx3-ubyte"));

        File.WriteAllBytes(Path.Combine(_dir, "train-images-idx3-ubyte"), [0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]);
        File.WriteAllBytes(Path.Combine(_dir, "train-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 5, 1, 2, 3, 4, 5]);
        error.GetStringBuilder().Clear();
        Assert.That(global::Adjoint.Cli.Cli.Run(["train", "--data", _dir], new StringWriter(), error), Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("need 20 bytes of data but the file has 3"));

        Assert.That(Run("train").Code, Is.Not.Zero, "--data is required");
    }

    [Test]
    public void IdxRoundTripAndMagicCheck()
    {
        string path = Path.Combine(_dir, "x-idx3-ubyte");
        Idx.Write(path, [2, 3], [1, 2, 3, 4, 5, 6]);
        var a = Idx.Read(path);
        Assert.That(a.Dims, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(a.Data, Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6 }));
        File.WriteAllBytes(path, [1, 0, 8, 1, 0, 0, 0, 0]);
        Assert.That(() => Idx.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("magic"));
        File.WriteAllBytes(path, [0, 0, 0x0D, 1, 0, 0, 0, 0]);
        Assert.That(() => Idx.Read(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("0x0D"));
    }

    [Test]
    public void IdxReadsGzipCompressedFiles()
    {
        string plain = Path.Combine(_dir, "labels-idx1-ubyte");
        Idx.Write(plain, [4], [3, 1, 4, 1]);
        string gz = plain + ".gz";
        using (var source = File.OpenRead(plain))
        using (var target = new System.IO.Compression.GZipStream(File.Create(gz), System.IO.Compression.CompressionLevel.Fastest))
            source.CopyTo(target);
        Assert.That(Idx.Read(gz).Data, Is.EqualTo(new byte[] { 3, 1, 4, 1 }));
        File.WriteAllBytes(gz, [1, 2, 3, 4, 5]);
        Assert.That(() => Idx.Read(gz), Throws.TypeOf<InvalidDataException>().With.Message.Contains("gzip"));
    }

    [Test]
    public void GradcheckCoversTheWholeTable()
    {
        var (code, output) = Run("gradcheck");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("MatMul").And.Contain("Svd").And.Contain("0 failed").And.Not.Contain("FAIL").And.Not.Contain("Rows without a case"));
    }

    [Test]
    public void GradcheckSecondOrderAndFilter()
    {
        var (code, output) = Run("gradcheck", "--filter", "tanh", "--second-order");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("Tanh").And.Contain("TanhBackward").And.Contain("2nd order").And.Contain("4 cases over 2 of the table").And.Contain("0 failed"));
        Assert.That(Run("gradcheck", "--filter", "no-such-op").Code, Is.EqualTo(2));
    }

    [Test]
    public void BenchPrintsNativeAndManagedTimings()
    {
        var (code, output) = Run("bench", "--size", "32", "--length", "4096", "--repeat", "1");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("MatMul 32×32").And.Contain("managed").And.Contain("MLP step"));
        Assert.That(Run("bench", "--repeat", "0").Code, Is.EqualTo(2));
    }

    [GeneratedRegex(@"^\s*(n\d+|out) \[label=""[^""]*"".*\];$")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^\s*(n\d+) -> (n\d+|out);$")]
    private static partial Regex EdgeLine();

    /// <summary>A small DOT check: one digraph, every line a setting, a node or an edge, every edge between declared nodes.</summary>
    private static (int Nodes, int Edges) ParseDot(string dot)
    {
        var lines = dot.Trim().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.That(lines[0], Does.Match(@"^digraph \w+ \{$"));
        Assert.That(lines[^1], Is.EqualTo("}"));
        var nodes = new HashSet<string>();
        var edges = new List<(string, string)>();
        foreach (var line in lines[1..^1])
        {
            if (NodeLine().Match(line) is { Success: true } n) nodes.Add(n.Groups[1].Value);
            else if (EdgeLine().Match(line) is { Success: true } e) edges.Add((e.Groups[1].Value, e.Groups[2].Value));
            else Assert.That(line, Does.Match(@"^\s*(rankdir=\w+|node \[.*\]);$"), "unexpected DOT line");
        }
        foreach (var (a, b) in edges)
            Assert.That(nodes.Contains(a) && nodes.Contains(b), Is.True, $"edge {a} -> {b} to an undeclared node");
        return (nodes.Count, edges.Count);
    }

    [Test]
    public void GraphWritesParsableDot()
    {
        string path = Path.Combine(_dir, "g", "loss.dot");
        var (code, output) = Run("graph", "--hidden", "5", "--out", path);
        Assert.That(code, Is.Zero, output);
        string dot = File.ReadAllText(path);
        var (nodes, edges) = ParseDot(dot);
        Assert.That(nodes, Is.GreaterThan(8));
        Assert.That(edges, Is.GreaterThanOrEqualTo(nodes - 1));
        Assert.That(dot, Does.Contain("0.weight\\n[5,4]").And.Contain("\"Linear\"").And.Contain("\"LogSoftmax\""));
        string svg = Path.ChangeExtension(path, ".svg");
        if (File.Exists(svg)) XDocument.Load(svg);
        else Assert.That(output, Does.Contain("not on the PATH"));

        var (code2, printed) = Run("graph", "--out", "-", "--activation", "relu");
        Assert.That(code2, Is.Zero);
        ParseDot(printed);
        Assert.That(printed, Does.Contain("Relu"));
        Assert.That(Run("graph", "--activation", "swish").Code, Is.Not.Zero);
        Assert.That(Run("graph", "--classes", "1").Code, Is.EqualTo(2));
    }

    [Test]
    public void CheckpointPlanExplainsThePlanAndWritesTheParetoChart()
    {
        string path = Path.Combine(_dir, "pareto.svg");
        var (code, output) = Run("checkpoint-plan", "--layers", "8", "--width", "16", "--batch", "4", "--out", path);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("Plan for the budget").And.Contain("recomputed").And.Contain("Binomial(2)").And.Contain("Pareto"));
        var svg = AssertSvg(path);
        Assert.That(svg.Descendants().Count(e => e.Name.LocalName == "circle"), Is.GreaterThan(5));

        var (tight, tightOutput) = Run("checkpoint-plan", "--layers", "8", "--width", "16", "--batch", "4", "--budget", "10B", "--out", path);
        Assert.That(tight, Is.EqualTo(1));
        Assert.That(tightOutput, Does.Contain("No schedule fits").And.Contain("bytes"));

        Assert.That(Run("checkpoint-plan", "--budget", "lots").Code, Is.EqualTo(2));
        Assert.That(Run("checkpoint-plan", "--layers", "0").Code, Is.EqualTo(2));
        Assert.That(global::Adjoint.Cli.Commands.CheckpointPlanCommand.TryParseBytes("1.5MiB", out long b) && b == 1572864, Is.True);
    }
}
