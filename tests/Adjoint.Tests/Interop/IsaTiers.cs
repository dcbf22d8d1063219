using Adjoint.Backends;
using Adjoint.Interop;

namespace Adjoint.Tests.Interop;

/// <summary>
/// The tiers of the loaded library, by the contract in adjoint.h: a build compiles Scalar plus the SIMD tiers of its
/// architecture (Avx2 and Avx512 on x64, which nest; Neon on Arm64), and runs those up to MaxIsa. Tier numbers do not
/// order across architectures, so "every tier up to MaxIsa" alone would wrongly include the x86 tiers on Arm64
/// (MaxIsa = Neon = 3).
/// </summary>
internal static class IsaTiers
{
    /// <summary>The tiers a build for this process's architecture compiles: the values of the per-tier test cases
    /// (the other architecture's would only ever be skipped; a tier this CPU lacks still is, by IsaScope).</summary>
    public static Isa[] OfThisArchitecture() =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.Arm64
            ? [Isa.Scalar, Isa.Neon]
            : [Isa.Scalar, Isa.Avx2, Isa.Avx512];

    /// <summary>The tiers this machine can run: this architecture's, up to the best one the library reports.</summary>
    public static IReadOnlyList<Isa> Runnable() => OfThisArchitecture().Where(i => i <= NativeBackend.MaxIsa).ToList();

    public static IReadOnlyList<Isa> Refused() => Enum.GetValues<Isa>().Except(Runnable()).ToList();
}
