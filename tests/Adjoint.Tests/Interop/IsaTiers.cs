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
}
