// The consumer NUnit project of ./build.sh test-package: copied into a fresh `dotnet new nunit` project that
// references the Adjoint package from the local feed.
using Adjoint;
using Adjoint.Backends;
using Adjoint.Interop;
using NUnit.Framework;

namespace ConsumerTests;

public class PackageTests
{
    [Test]
    public void NativeLibraryLoadsFromThePackagesRuntimesFolder()
    {
        Assert.That(Backend.NativeAvailable, Is.True, Backend.NativeLoadError?.Message);
        string path = NativeLibraryInfo.LibraryPath.Replace('\\', '/');
        Assert.That(path, Does.Contain($"runtimes/{NativeLibraryResolver.CurrentRid}/native/"));
        Assert.That(NativeLibraryInfo.AbiVersion, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"loaded {path}, isa {NativeLibraryInfo.Isa}");
    }

    [Test]
    public void GradientOfSumTanhIsOneMinusTanhSquared()
    {
        using var x = Tensor.FromArray(new double[] { -1.5, 0.25, 3.0 }, 3);
        x.RequiresGrad = true;
        using var loss = x.Tanh().Sum();
        loss.Backward();
        double[] grad = x.Grad!.ToArray<double>();
        Assert.That(grad, Is.EqualTo(new[] { -1.5, 0.25, 3.0 }.Select(v => 1 - Math.Tanh(v) * Math.Tanh(v))).Within(1e-12));
    }

    [Test]
    public void BothBackendsAgree()
    {
        double[] data = Enumerable.Range(0, 64).Select(i => Math.Sin(i)).ToArray();
        double Run(IBackend backend)
        {
            using var scope = Backend.Use(backend);
            using var a = Tensor.FromArray(data, 8, 8);
            using var y = a.MatMul(a).Tanh().Sum();
            return y.Item<double>();
        }
        Assert.That(Run(Backend.Native), Is.EqualTo(Run(Backend.Managed)).Within(1e-9));
    }
}
