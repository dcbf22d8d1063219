using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace Adjoint.Tests;

/// <summary>
/// Checks that <see cref="InvokeTestsDirectlyAttribute"/> is in force: tests, their SetUp and parameterized cases
/// are entered through <see cref="DirectMethodInfo"/>'s delegate with no reflection call on the stack (under wine an
/// exception leaving a reflection call is dispatched as SEH; see docs/PACKAGING.md).
/// </summary>
[TestFixture]
public class DirectInvocationTests
{
    private string[]? _setUpStack;

    [SetUp]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RecordSetUpStack() => _setUpStack = CallersBetweenNUnitAndHere();

    // The frames from the innermost NUnit frame up to the caller; whatever runs in between called the test.
    // Skip(2) drops this frame and its caller's, so neither may be inlined.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string[] CallersBetweenNUnitAndHere()
    {
        var frames = new StackTrace().GetFrames().Skip(2).Select(f => f.GetMethod()).ToList();
        int nunit = frames.FindIndex(m => m?.DeclaringType?.Namespace?.StartsWith("NUnit.", StringComparison.Ordinal) == true);
        Assert.That(nunit, Is.GreaterThan(0), "no NUnit frame on the stack");
        return frames.Take(nunit).Select(m => $"{m!.DeclaringType?.FullName}.{m.Name}").ToArray();
    }

    private static void AssertDirect(string[] callers)
    {
        Assert.That(callers, Has.Some.StartsWith(typeof(DirectMethodInfo).FullName + ".Invoke"), string.Join(" <- ", callers));
        Assert.That(callers, Has.None.StartsWith("System.Reflection."), string.Join(" <- ", callers));
    }

    [Test]
    public void TestAndSetUpAreCalledThroughTheDelegate()
    {
        AssertDirect(CallersBetweenNUnitAndHere());
        AssertDirect(_setUpStack!);
    }

    [TestCase(3, "three", 2.5)]
    [TestCase(-1, null, double.NaN)]
    public void ParameterizedCasesReceiveTheirArgumentsThroughTheDelegate(int i, string? s, double d)
    {
        AssertDirect(CallersBetweenNUnitAndHere());
        Assert.That((i, s, d), Is.EqualTo((3, "three", 2.5)).Or.EqualTo((-1, (string?)null, double.NaN)));
    }

    [TestCase(7, ExpectedResult = 49L)]
    public long ReturnValuesReachNUnit(int x)
    {
        AssertDirect(CallersBetweenNUnitAndHere());
        return (long)x * x;
    }

    // An int literal for a long parameter: whether NUnit converts it or reflection has to (the fallback), it arrives.
    [TestCase(5)]
    public void WidenedLiteralArgumentsArrive(long x) => Assert.That(x, Is.EqualTo(5L));

    [Test]
    public async Task AsyncTestsAreAwaited()
    {
        AssertDirect(CallersBetweenNUnitAndHere());
        await Task.Yield();
        Assert.That(Environment.CurrentManagedThreadId, Is.GreaterThan(0));
    }

    [Test]
    public void EveryTestMethodOfTheAssemblyIsWrapped()
    {
        var test = TestContext.CurrentContext.Test;
        Assert.That(test.Method, Is.InstanceOf<DirectMethodInfo>());
        Assert.That(((DirectMethodInfo)test.Method!).MethodInfo, Is.SameAs(typeof(DirectInvocationTests).GetMethod(nameof(EveryTestMethodOfTheAssemblyIsWrapped))));
    }
}
