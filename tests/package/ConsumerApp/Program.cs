// The consumer console app of ./build.sh test-package. It is copied into a fresh `dotnet new console` project
// that references the Adjoint package from the local feed, and prints what it loaded so the script can check it.
// Exit codes: 0 ok, 2 the native library could not be loaded (typed error printed), 3 wrong result.
using Adjoint;
using Adjoint.Backends;
using Adjoint.Interop;

try
{
    // d/dx sum(tanh(x)) = 1 - tanh(x)^2, on whichever backend the library chose.
    using var x = Tensor.FromArray(new double[] { -1.0, 0.0, 0.5, 2.0 }, 4);
    x.RequiresGrad = true;
    using var loss = x.Tanh().Sum();
    loss.Backward();
    double[] grad = x.Grad!.ToArray<double>();
    double[] xs = [-1.0, 0.0, 0.5, 2.0];
    for (int i = 0; i < xs.Length; i++)
    {
        double want = 1 - Math.Tanh(xs[i]) * Math.Tanh(xs[i]);
        if (Math.Abs(grad[i] - want) > 1e-12)
        {
            Console.WriteLine($"wrong gradient at {i}: {grad[i]} != {want}");
            return 3;
        }
    }
    Console.WriteLine($"backend: {Backend.Current.Name}");
    Console.WriteLine("gradient: ok");
    if (Backend.NativeAvailable)
    {
        Console.WriteLine($"abi: {NativeLibraryInfo.AbiVersion}");
        Console.WriteLine($"isa: {NativeLibraryInfo.Isa}");
        Console.WriteLine($"native: {NativeLibraryInfo.LibraryPath}");
    }
    else
    {
        Console.WriteLine("native: unavailable");
    }
    return 0;
}
catch (Exception e) when (Unwrap(e) is NativeLibraryNotFoundException or NativeAbiMismatchException)
{
    Exception error = Unwrap(e);
    Console.WriteLine($"error: {error.GetType().FullName}: {error.Message}");
    return 2;
}

static Exception Unwrap(Exception e) => e is TypeInitializationException { InnerException: { } inner } ? Unwrap(inner) : e;
