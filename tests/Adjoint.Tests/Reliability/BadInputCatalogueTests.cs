using System.Diagnostics;
using Adjoint.Interop;
using Adjoint.NN;
using Adjoint.Serialization;
using NUnit.Framework;

namespace Adjoint.Tests.Reliability;

/// <summary>
/// A catalogue of invalid uses of the public API. Each case asserts the exception type and fragments of its
/// message (the op and the offending shapes or values); afterwards a sentinel tensor made before the failing call
/// is unchanged, a fresh computation (forward and backward) still works, and no tensor was leaked.
/// </summary>
[TestFixture]
[NonParallelizable] // compares process-wide live counters
public class BadInputCatalogueTests
{
    public sealed record BadInput(string Name, Type Exception, string[] Fragments, Action Act)
    {
        public override string ToString() => Name;
    }

    private static BadInput C<TException>(string name, Action act, params string[] fragments) where TException : Exception =>
        new(name, typeof(TException), fragments, act);

    private static string TempFile(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"adjoint-bad-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static IEnumerable<TestCaseData> Cases() => All().Select(c => new TestCaseData(c).SetName("Bad input: " + c.Name));

    private static IEnumerable<BadInput> All()
    {
        // ---- shapes and dtypes ----
        yield return C<TensorShapeException>("MatMul inner dimensions", () => Tensor.Zeros([3, 4]).MatMul(Tensor.Zeros([5, 2])),
            "MatMul: inner dimensions differ: [3,4] x [5,2]");
        yield return C<TensorShapeException>("MatMul batch dimensions", () => Tensor.Zeros([2, 3, 4]).MatMul(Tensor.Zeros([3, 4, 5])),
            "MatMul", "[2]", "[3]");
        yield return C<TensorShapeException>("broadcast failure", () => _ = Tensor.Zeros([2, 3]) + Tensor.Zeros([4]),
            "Add: shapes [2,3] and [4] cannot be broadcast");
        yield return C<ArgumentException>("dtype mismatch in Mul", () => _ = Tensor.Zeros([2]) * Tensor.Zeros([2], DType.Float64),
            "Mul", "Float32", "Float64");
        yield return C<ArgumentException>("dtype mismatch in MatMul", () => Tensor.Zeros([2, 2]).MatMul(Tensor.Zeros([2, 2], DType.Float64)),
            "MatMul", "Float64");
        yield return C<ArgumentException>("dtype mismatch in place", () => Tensor.Zeros([2]).AddInPlace(Tensor.Zeros([2], DType.Float64)),
            "AddInPlace", "Float64");
        yield return C<TensorShapeException>("in-place shape mismatch", () => Tensor.Zeros([2, 1]).AddInPlace(Tensor.Zeros([2, 3])),
            "AddInPlace", "[2,3]", "[2,1]");
        // ---- sizes ----
        yield return C<TensorShapeException>("negative size", () => Tensor.Zeros([2, -1]), "Zeros: negative dimension -1 in shape [2,-1]");
        yield return C<TensorShapeException>("overflowing size", () => Tensor.Zeros([1 << 30, 1 << 30, 1 << 30, 1 << 30]), "Zeros: shape [1073741824,1073741824,1073741824,1073741824]", "overflows 64 bits");
        yield return C<OutOfMemoryException>("size beyond memory (4 PiB)", () => Tensor.Zeros([1 << 20, 1 << 20, 1 << 10]), "memory");
        yield return C<ArgumentOutOfRangeException>("negative Linspace steps", () => Tensor.Linspace(0, 1, -1), "steps");
        yield return C<ArgumentOutOfRangeException>("negative Eye size", () => Tensor.Eye(-1), "n");
        yield return C<ArgumentException>("Arange with zero step", () => Tensor.Arange(0, 1, 0), "Arange");
        yield return C<TensorShapeException>("Reshape to a different count", () => Tensor.Zeros([2, 3]).Reshape(7), "[2,3] (6 elements) into [7]");
        yield return C<TensorShapeException>("Reshape with two -1", () => Tensor.Zeros([2, 3]).Reshape(-1, -1), "only one dimension can be -1");
        yield return C<TensorShapeException>("Expand to an incompatible shape", () => Tensor.Zeros([2, 3]).Expand(4, 3), "Expand: cannot expand shape [2,3] to [4,3]");
        // ---- axes ----
        yield return C<ArgumentOutOfRangeException>("Sum axis out of range", () => Tensor.Zeros([2, 3]).Sum(3),
            "Sum: axis 3 is out of range for a tensor of rank 2");
        yield return C<ArgumentOutOfRangeException>("Max negative axis out of range", () => Tensor.Zeros([2, 3]).Max(-3), "Max: axis -3");
        yield return C<ArgumentOutOfRangeException>("Softmax axis out of range", () => Tensor.Zeros([2, 3]).Softmax(2), "Softmax: axis 2");
        yield return C<ArgumentException>("Sum with a repeated axis", () => Tensor.Zeros([2, 3]).Sum([0, -2]), "Sum: axis -2 appears more than once");
        yield return C<ArgumentException>("Permute with a repeated dim", () => Tensor.Zeros([2, 3]).Permute(0, 0), "Permute: dim 0 repeats");
        yield return C<ArgumentOutOfRangeException>("Narrow past the end", () => Tensor.Zeros([2, 3]).Narrow(1, 2, 2), "Narrow", "[2,3]");
        yield return C<ArgumentOutOfRangeException>("Select index out of range", () => Tensor.Zeros([2, 3]).Select(0, 2), "Select: index 2", "[2,3]");
        // ---- empty tensors ----
        yield return C<TensorShapeException>("Max over an empty axis", () => Tensor.Zeros([0, 2]).Max(0), "Max", "[0,2]");
        yield return C<InvalidOperationException>("Item of an empty tensor", () => Tensor.Zeros([0]).Item<float>(), "Item", "[0]");
        // ---- arrays of the wrong length / type ----
        yield return C<TensorShapeException>("FromArray with the wrong length", () => Tensor.FromArray(new float[5], 2, 3), "5", "[2,3]");
        yield return C<InvalidOperationException>("ToArray of the wrong element type", () => Tensor.Zeros([2, 3]).ToArray<double>(), "Float32", "Double");
        yield return C<InvalidOperationException>("Item of a non-scalar", () => Tensor.Zeros([2, 3]).Item<float>(), "Item", "[2,3]");
        // ---- lifetime ----
        yield return C<ObjectDisposedException>("use after Dispose", () =>
        {
            var t = Tensor.Ones([2]);
            t.Dispose();
            _ = t + 1;
        }, "Tensor");
        // ---- autograd ----
        yield return C<InvalidOperationException>("backward twice", () =>
        {
            var x = Tensor.Ones([3]).SetRequiresGrad();
            var y = x.Tanh().Sum();
            y.Backward();
            y.Backward();
        }, "second time", "retainGraph");
        yield return C<InvalidOperationException>("in-place change to a saved tensor", () =>
        {
            var w = Tensor.Ones([3]).SetRequiresGrad();
            var x = Tensor.Full([3], 0.5); // saved by Mul for w's gradient
            var y = (w * x).Sum();
            x.MulInPlace(Tensor.Full([3], 2.0));
            y.Backward();
        }, "Backward of Mul", "modified by an in-place operation", "saved at version 0");
        yield return C<InvalidOperationException>("in-place change to a tensor autograd produced", () =>
            (Tensor.Ones([3]).SetRequiresGrad() * 2).Tanh().MulInPlace(Tensor.Full([3], 2.0)),
            "MulInPlace: in-place modification of a tensor produced by Tanh (shape [3])");
        yield return C<InvalidOperationException>("RequiresGrad on a non-leaf", () => (Tensor.Ones([2]).SetRequiresGrad() * 2).RequiresGrad = false,
            "RequiresGrad: can only be set on leaf tensors");
        yield return C<ArgumentException>("backward of a non-scalar without a gradient", () =>
            (Tensor.Ones([2]).SetRequiresGrad() * 2).Backward(), "Backward: a gradient can be implied only for one-element outputs", "[2]");
        yield return C<AnomalyException>("NaN gradient under anomaly mode", () =>
        {
            using var anomaly = Autograd.DetectAnomaly();
            var x = Tensor.FromArray(new float[] { -1f, 4f }, 2).SetRequiresGrad();
            x.Sqrt().Sum().Backward();
        }, "Anomaly: backward of", "Sqrt", "non-finite");
        yield return C<AnomalyException>("Inf gradient under anomaly mode", () =>
        {
            using var anomaly = Autograd.DetectAnomaly();
            var x = Tensor.FromArray(new float[] { 0f, 1f }, 2).SetRequiresGrad();
            x.Log().Sum().Backward();
        }, "Anomaly: backward of", "Log", "non-finite");
        yield return C<InvalidOperationException>("ForwardAD without a level", () => ForwardAD.MakeDual(Tensor.Ones([2]), Tensor.Ones([2])),
            "no dual level is open");
        // ---- nn ----
        yield return C<TensorShapeException>("Linear with the wrong input width", () => new Linear(3, 2).Forward(Tensor.Zeros([4, 5])), "[4,5]");
        // ---- files ----
        yield return C<SafeTensorsException>("model file too short", () => SafeTensors.Load(TempFile([1, 2, 3])), "3 bytes is too short");
        yield return C<SafeTensorsException>("model file with an implausible header length", () =>
            SafeTensors.Load(TempFile([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, (byte)'{', (byte)'}'])), "header length", "not plausible");
        yield return C<SafeTensorsException>("model file with a header that is not JSON", () =>
            SafeTensors.Load(TempFile([4, 0, 0, 0, 0, 0, 0, 0, (byte)'n', (byte)'o', (byte)'p', (byte)'e'])), "not valid JSON");
        // ---- native library ----
        yield return C<NativeAbiMismatchException>("native library with the wrong ABI version", () =>
        {
            string dir = Path.Combine(Path.GetTempPath(), $"adjoint-abi-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            string source = Path.Combine(dir, "fake.c"), library = Path.Combine(dir, NativeLibraryResolver.PlatformFileName);
            File.WriteAllText(source, "int adj_abi_version(void) { return 99; }\n");
            if (!OperatingSystem.IsLinux() || !Compile(source, library)) Assert.Ignore("needs Linux and a C compiler (cc)");
            NativeLibraryResolver.Probe(library, typeof(NativeLibraryResolver).Assembly, dir, out _);
        }, "ABI version 99", "require ABI version 1");
    }

    private static bool Compile(string source, string output)
    {
        try
        {
            using var cc = Process.Start(new ProcessStartInfo("cc", ["-shared", "-fPIC", "-o", output, source])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            cc.WaitForExit();
            return cc.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [Test]
    public void CatalogueHasAtLeastThirtyCases() => Assert.That(All().Count(), Is.GreaterThanOrEqualTo(30));

    [TestCaseSource(nameof(Cases))]
    public void FailsWithTypedErrorAndLosesNothing(BadInput c)
    {
        using var sentinel = Tensor.FromArray(new float[] { 1, -2, 3.5f, 4 }, 2, 2);
        float[] before = sentinel.ToArray<float>();
        // Earlier tests' undisposed tensors must not be finalized during the call and make the count drop.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long liveBefore = Tensor.LiveCount;

        Exception? thrown = null;
        using (TensorScope.Begin())
        {
            try
            {
                c.Act();
            }
            catch (IgnoreException)
            {
                throw;
            }
            catch (Exception e)
            {
                thrown = e;
            }
        }

        Assert.That(thrown, Is.Not.Null, $"{c.Name}: no exception");
        Assert.That(thrown, Is.InstanceOf(c.Exception), $"{c.Name}: {thrown}");
        foreach (string fragment in c.Fragments)
            Assert.That(thrown!.Message, Does.Contain(fragment), $"{c.Name}: message");

        // Nothing lost: the sentinel is intact, nothing leaked, and a fresh computation works end to end.
        Assert.That(sentinel.ToArray<float>(), Is.EqualTo(before), "sentinel unchanged");
        Assert.That(Autograd.IsGradEnabled, Is.True, "grad mode restored");
        Assert.That(Tensor.LiveCount, Is.EqualTo(liveBefore), "no tensor leaked by the failing call");
        using (TensorScope.Begin())
        {
            var w = sentinel.Clone().SetRequiresGrad();
            var loss = w.MatMul(sentinel).Tanh().Sum();
            loss.Backward();
            Assert.That(w.Grad!.ToArray<float>().All(float.IsFinite), Is.True);
            Assert.That(float.IsFinite(loss.Item<float>()), Is.True);
        }
        Assert.That(Tensor.LiveCount, Is.EqualTo(liveBefore));
    }
}
