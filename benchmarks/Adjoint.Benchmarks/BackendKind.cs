using Adjoint.Backends;

namespace Adjoint.Benchmarks;

/// <summary>Which backend a benchmark case runs on; a [Params] axis so one table shows both side by side.</summary>
public enum BackendKind
{
    Native,
    Managed,
}

internal static class BackendKindExtensions
{
    public static IBackend Resolve(this BackendKind kind) => kind == BackendKind.Native ? Backend.Native : Backend.Managed;
}
