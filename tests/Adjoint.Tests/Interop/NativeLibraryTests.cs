using System.Runtime.InteropServices;
using Adjoint.Backends;
using Adjoint.Interop;
using Adjoint.Tests.Parity;
using NUnit.Framework;

namespace Adjoint.Tests.Interop;

/// <summary>What the loaded library reports, error plumbing, and the process-wide controls.</summary>
[TestFixture]
public unsafe class NativeLibraryTests
{
    [Test]
    public void AbiVersionMatchesTheBindings() =>
        Assert.That(NativeLibraryInfo.AbiVersion, Is.EqualTo(NativeMethods.AbiVersion));

    [Test]
    public void NativeBackendIsAvailableAndReportsWhereItCameFrom()
    {
        Assert.That(Backend.NativeAvailable, Is.True, () => Backend.NativeLoadError?.ToString() ?? "");
        Assert.That(Backend.Native, Is.InstanceOf<NativeBackend>());
        Assert.That(Backend.Native.Name, Is.EqualTo("native"));
        Assert.That(File.Exists(NativeBackend.LibraryPath), Is.True, NativeBackend.LibraryPath);
        Assert.That(NativeLibraryInfo.BuildInfo, Is.Not.Empty);
    }

    [Test]
    public void ErrorStatusBecomesTypedExceptionWithTheNativeMessage()
    {
        using var sink = new RawBuffer(DType.Float64, 1);

        var error = Assert.Throws<AdjointNativeException>(() => Backend.Native.Fill(DType.Float64, -1, 0, sink.Pointer))!;

        Assert.That(error.Status, Is.EqualTo(AdjStatus.InvalidArgument));
        Assert.That(error.FunctionName, Is.EqualTo("adj_fill"));
        Assert.That(error.NativeMessage, Is.Not.Empty);
        Assert.That(error.Message, Does.Contain("adj_fill").And.Contain(error.NativeMessage));
    }

    [Test]
    public void CheckPassesOkThrough() => Assert.DoesNotThrow(() => NativeStatus.Check(NativeMethods.adj_noop(), "adj_noop"));

    [Test]
    public void ForcedIsaRoundTripsForEveryTierTheCpuHas()
    {
        Isa original = NativeBackend.Isa;
        Isa max = NativeBackend.MaxIsa;
        Assert.That(original, Is.LessThanOrEqualTo(max));
        // The library's architecture decides which tiers exist: x86 tiers on x64, NEON on Arm64.
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
            Assert.That(max, Is.EqualTo(Isa.Neon), "AArch64 always has ASIMD, so the Arm64 library runs its NEON tier");
        else if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
            Assert.That(max, Is.LessThanOrEqualTo(Isa.Avx512));
        try
        {
            foreach (Isa isa in IsaTiers.Runnable())
            {
                NativeBackend.SetIsa(isa);
                Assert.That(NativeBackend.Isa, Is.EqualTo(isa));
            }
            Assert.That(IsaTiers.Refused(), Is.Not.Empty, "the other architecture's tiers are never runnable");
            foreach (Isa isa in IsaTiers.Refused())
            {
                var error = Assert.Throws<AdjointNativeException>(() => NativeBackend.SetIsa(isa))!;
                Assert.That(error.Status, Is.EqualTo(AdjStatus.Unsupported), isa.ToString());
                Assert.That(error.Message, Does.Contain("adj_set_isa"));
                Assert.That(NativeBackend.Isa, Is.EqualTo(max), "a refused tier must not change the table");
            }
        }
        finally
        {
            NativeBackend.SetIsa(original);
        }
    }

    [Test]
    public void ThreadCountRoundTripsAndRejectsZero()
    {
        int original = NativeBackend.NumThreads;
        Assert.That(original, Is.GreaterThanOrEqualTo(1));
        try
        {
            NativeBackend.NumThreads = 1;
            Assert.That(NativeBackend.NumThreads, Is.EqualTo(1));
            var error = Assert.Throws<AdjointNativeException>(() => NativeBackend.NumThreads = 0)!;
            Assert.That(error.FunctionName, Is.EqualTo("adj_set_num_threads"));
        }
        finally
        {
            NativeBackend.NumThreads = original;
        }
    }

    [Test]
    public void SpanLengthsThatDisagreeWithTheShapeAreRejectedBeforeTheCall()
    {
        using var x = new RawBuffer(DType.Float64, 1);
        using var y = new RawBuffer(DType.Float64, 1);
        Assert.Throws<ArgumentException>(() =>
            Backend.Native.CopyStrided(DType.Float64, [1, 1], x.Pointer, [1], y.Pointer, [1, 1]));
    }
}
