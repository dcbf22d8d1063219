using System.Linq.Expressions;
using System.Reflection;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

[assembly: Adjoint.Tests.InvokeTestsDirectly]

namespace Adjoint.Tests;

/// <summary>
/// Makes NUnit call every test, SetUp and TearDown method of this assembly through a compiled delegate instead of
/// <see cref="MethodBase.Invoke(object, object[])"/>.
/// </summary>
/// <remarks>
/// Why: under wine 8 with .NET 10, an exception that leaves a method called through <c>MethodInfo.Invoke</c> crosses
/// native frames, is dispatched by wine as SEH, and leaves a dead entry on wine's frame list that the next such
/// exception on the thread runs into; wine then ends the thread (<see cref="WineExceptionFrames"/> has the details
/// and now unlinks those entries). NUnit invokes tests by reflection and every skip, failure or pass-by-exception
/// (<c>Assert.Ignore</c>, a failed <c>Assert.That</c>) ends a test by throwing, so the win-x64 test executable used to
/// hang at the second one. A delegate call adds no native frame, so the exceptions of tests, SetUp and TearDown never
/// take that path. Applied to the assembly, this attribute runs after NUnit has built the whole test tree and swaps
/// each method wrapper for a <see cref="DirectMethodInfo"/>; it does so on every platform, so the Linux run exercises
/// the same path as the wine run.
/// </remarks>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class InvokeTestsDirectlyAttribute : NUnitAttribute, IApplyToTest
{
    /// <inheritdoc />
    public void ApplyToTest(Test test)
    {
        WineExceptionFrames.Install();
        var wrappers = new Dictionary<MethodInfo, DirectMethodInfo>();
        Visit(test, wrappers);
    }

    private static void Visit(ITest node, Dictionary<MethodInfo, DirectMethodInfo> wrappers)
    {
        if (node is TestMethod method) method.Method = Wrap(method.Method, wrappers);
        if (node is Test test)
        {
            WrapAll(test, nameof(Test.SetUpMethods), wrappers);
            WrapAll(test, nameof(Test.TearDownMethods), wrappers);
        }
        if (node is TestSuite)
        {
            WrapAll(node, nameof(TestSuite.OneTimeSetUpMethods), wrappers);
            WrapAll(node, nameof(TestSuite.OneTimeTearDownMethods), wrappers);
        }
        foreach (var child in node.Tests) Visit(child, wrappers);
    }

    // NUnit builds each test's SetUp/TearDown list from these arrays when the test runs. The arrays are often typed
    // MethodWrapper[] (so an element cannot be replaced in place) and the properties have non-public setters: a new
    // array goes in through the setter. A future NUnit without that setter leaves these methods on reflection, which
    // DirectInvocationTests reports.
    private static void WrapAll(ITest node, string property, Dictionary<MethodInfo, DirectMethodInfo> wrappers)
    {
        var info = node.GetType().GetProperty(property, BindingFlags.Public | BindingFlags.Instance);
        if (info?.GetValue(node) is not IMethodInfo[] { Length: > 0 } methods) return;
        var wrapped = Array.ConvertAll(methods, m => Wrap(m, wrappers));
        info.GetSetMethod(nonPublic: true)?.Invoke(node, [wrapped]);
    }

    private static IMethodInfo Wrap(IMethodInfo method, Dictionary<MethodInfo, DirectMethodInfo> wrappers)
    {
        if (method is DirectMethodInfo || method.ContainsGenericParameters) return method;
        if (!wrappers.TryGetValue(method.MethodInfo, out var wrapper))
            wrappers[method.MethodInfo] = wrapper = new DirectMethodInfo(method);
        return wrapper;
    }
}

/// <summary>
/// An NUnit method wrapper that forwards everything to NUnit's own wrapper except <see cref="Invoke"/>, which calls
/// a delegate compiled (on first use) from <c>(fixture, args) =&gt; (object)((T)fixture).M((P0)args[0], …)</c>.
/// </summary>
/// <remarks>
/// Arguments that do not already have their parameter's exact type (reflection would widen an <c>int</c> to a
/// <c>long</c>, the cast in the delegate would not), a count that does not match, or by-reference parameters fall
/// back to NUnit's reflection call, which keeps its conversions. Exceptions leave the delegate unwrapped; NUnit
/// records them exactly as it records those of async tests, which never passed through reflection either.
/// </remarks>
public sealed class DirectMethodInfo(IMethodInfo inner) : IMethodInfo
{
    private readonly ParameterInfo[] _parameters = inner.MethodInfo.GetParameters();
    private Func<object?, object?[], object?>? _call;

    /// <summary>The NUnit wrapper this one forwards to.</summary>
    public IMethodInfo Inner { get; } = inner;

    /// <inheritdoc />
    public ITypeInfo TypeInfo => Inner.TypeInfo;
    /// <inheritdoc />
    public MethodInfo MethodInfo => Inner.MethodInfo;
    /// <inheritdoc />
    public string Name => Inner.Name;
    /// <inheritdoc />
    public bool IsAbstract => Inner.IsAbstract;
    /// <inheritdoc />
    public bool IsPublic => Inner.IsPublic;
    /// <inheritdoc />
    public bool IsStatic => Inner.IsStatic;
    /// <inheritdoc />
    public bool ContainsGenericParameters => Inner.ContainsGenericParameters;
    /// <inheritdoc />
    public bool IsGenericMethod => Inner.IsGenericMethod;
    /// <inheritdoc />
    public bool IsGenericMethodDefinition => Inner.IsGenericMethodDefinition;
    /// <inheritdoc />
    public ITypeInfo ReturnType => Inner.ReturnType;
    /// <inheritdoc />
    public IParameterInfo[] GetParameters() => Inner.GetParameters();
    /// <inheritdoc />
    public Type[] GetGenericArguments() => Inner.GetGenericArguments();
    /// <inheritdoc />
    public IMethodInfo MakeGenericMethod(params Type[] typeArguments) => Inner.MakeGenericMethod(typeArguments);
    /// <inheritdoc />
    public T[] GetCustomAttributes<T>(bool inherit) where T : class => Inner.GetCustomAttributes<T>(inherit);
    /// <inheritdoc />
    public bool IsDefined<T>(bool inherit) where T : class => Inner.IsDefined<T>(inherit);

    /// <inheritdoc />
    // Not inlined: DirectInvocationTests look for this frame, and once NUnit's caller is re-jitted at tier 1 it
    // would otherwise absorb it (seen: the check failed only in runs where that happened before the fixture ran).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public object? Invoke(object? fixture, params object?[]? args)
    {
        WineExceptionFrames.DropDeadFrames();
        args ??= [];
        if (!ArgumentsFit(args)) return Inner.Invoke(fixture, args);
        return (_call ??= Compile(MethodInfo, _parameters))(fixture, args);
    }

    /// <inheritdoc />
    public override string ToString() => Inner.ToString()!;

    private bool ArgumentsFit(object?[] args)
    {
        if (args.Length != _parameters.Length) return false;
        for (int i = 0; i < args.Length; i++)
        {
            var type = _parameters[i].ParameterType;
            if (type.IsByRef || type.IsPointer || type.IsByRefLike) return false;
            var underlying = Nullable.GetUnderlyingType(type);
            if (args[i] is null ? type.IsValueType && underlying is null : !(underlying ?? type).IsInstanceOfType(args[i]))
                return false;
        }
        return true;
    }

    private static Func<object?, object?[], object?> Compile(MethodInfo method, ParameterInfo[] parameters)
    {
        var fixture = Expression.Parameter(typeof(object), "fixture");
        var args = Expression.Parameter(typeof(object?[]), "args");
        var arguments = new Expression[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
            arguments[i] = Expression.Convert(Expression.ArrayIndex(args, Expression.Constant(i)), parameters[i].ParameterType);
        Expression call = Expression.Call(method.IsStatic ? null : Expression.Convert(fixture, method.DeclaringType!), method, arguments);
        Expression body = method.ReturnType == typeof(void)
            ? Expression.Block(call, Expression.Constant(null, typeof(object)))
            : Expression.Convert(call, typeof(object));
        return Expression.Lambda<Func<object?, object?[], object?>>(body, fixture, args).Compile();
    }
}
