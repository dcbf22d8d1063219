using Adjoint.Backends;
using Adjoint.Interop;

namespace Adjoint.Tests.Interop;

/// <summary>
/// The tiers the loaded library can run on this machine, by the contract in adjoint.h: Scalar, plus Avx2 up to
/// MaxIsa on x64 (the x86 tiers nest) or Neon on Arm64. Tier numbers do not order across architectures, so
/// "every tier up to MaxIsa" would wrongly include the x86 tiers on Arm64 (MaxIsa = Neon = 3).
/// </summary>
internal static class IsaTiers
{
    public static IReadOnlyList<Isa> Runnable()
    {
        Isa max = NativeBackend.MaxIsa;
        return max == Isa.Neon
            ? [Isa.Scalar, Isa.Neon]
            : Enum.GetValues<Isa>().Where(i => i != Isa.Neon && i <= max).ToList();
    }

    public static IReadOnlyList<Isa> Refused() => Enum.GetValues<Isa>().Except(Runnable()).ToList();

    /// <summary>The tiers a build for this process's architecture compiles: the values of the per-tier test cases
    /// (the other architecture's would only ever be skipped; a tier this CPU lacks still is, by IsaScope).</summary>
    public static Isa[] OfThisArchitecture() =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? [Isa.Scalar, Isa.Neon]
            : [Isa.Scalar, Isa.Avx2, Isa.Avx512];
}
