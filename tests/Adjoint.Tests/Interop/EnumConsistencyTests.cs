using System.Reflection;
using System.Text.RegularExpressions;
using Adjoint.Interop;
using NUnit.Framework;

namespace Adjoint.Tests.Interop;

/// <summary>
/// Every enum the bindings mirror has exactly the header's values: same count, same numbers, and names that
/// spell the C enumerators (ADJ_ISA_NEON = 3 ↔ Isa.Neon = 3). The header is embedded in this assembly at build
/// time (Adjoint.Tests.csproj), so the check runs against the contract the library was compiled from.
/// </summary>
[TestFixture]
public partial class EnumConsistencyTests
{
    private static readonly (string CName, Type Mirror)[] Mirrors =
    [
        ("adj_status", typeof(AdjStatus)),
        ("adj_dtype", typeof(AdjDType)),
        ("adj_isa", typeof(Isa)),
        ("adj_unary_op", typeof(UnaryOp)),
        ("adj_binary_op", typeof(BinaryOp)),
        ("adj_reduce_op", typeof(ReduceOp)),
        ("adj_row_op_kind", typeof(RowOp)),
    ];

    private static IEnumerable<TestCaseData> MirrorCases() =>
        Mirrors.Select(m => new TestCaseData(m.CName, m.Mirror).SetArgDisplayNames(m.CName));

    [TestCaseSource(nameof(MirrorCases))]
    public void MirrorMatchesTheHeader(string cEnum, Type mirror)
    {
        var c = HeaderEnum(cEnum);
        var managed = Enum.GetValues(mirror).Cast<object>()
            .ToDictionary(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture), v => v.ToString()!);

        Assert.That(managed.Keys.Order(), Is.EqualTo(c.Keys.Order()),
            $"{mirror.Name} values differ from {cEnum} in adjoint.h");
        foreach (var (value, cName) in c)
        {
            // ADJ_ERR_INVALID_ARGUMENT ends with INVALIDARGUMENT, ADJ_ISA_AVX512 with AVX512, ADJ_ROW_LOGSUMEXP with LOGSUMEXP.
            string want = managed[value].ToUpperInvariant();
            Assert.That(cName.Replace("_", "", StringComparison.Ordinal).EndsWith(want, StringComparison.Ordinal), Is.True,
                $"{mirror.Name}.{managed[value]} = {value}, but adjoint.h names {value} {cName}");
        }
    }

    [Test]
    public void IsaNamesTheNeonTier() =>
        Assert.That(HeaderEnum("adj_isa")[(int)Isa.Neon], Is.EqualTo("ADJ_ISA_NEON"));

    [Test]
    public void EveryHeaderEnumIsMirrored()
    {
        var declared = EnumBlock().Matches(Header()).Select(m => m.Groups["name"].Value).ToHashSet();
        Assert.That(declared, Is.EquivalentTo(Mirrors.Select(m => m.CName)),
            "an enum in adjoint.h has no mirror in bindings/Adjoint.Interop/NativeEnums.cs (or the reverse)");
    }

    private static Dictionary<int, string> HeaderEnum(string cName)
    {
        var block = EnumBlock().Matches(Header()).SingleOrDefault(m => m.Groups["name"].Value == cName);
        Assert.That(block, Is.Not.Null, $"typedef ADJ_ENUM({cName}) not found in adjoint.h");
        string body = Regex.Replace(block!.Groups["body"].Value, @"/\*.*?\*/", "", RegexOptions.Singleline);
        var values = new Dictionary<int, string>();
        foreach (Match m in Enumerator().Matches(body))
            values.Add(int.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["name"].Value);
        Assert.That(values, Is.Not.Empty, $"no enumerators parsed from {cName}");
        return values;
    }

    private static string Header()
    {
        using Stream? s = Assembly.GetExecutingAssembly().GetManifestResourceStream("adjoint.h");
        Assert.That(s, Is.Not.Null, "adjoint.h is not embedded in the test assembly");
        using var reader = new StreamReader(s!);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"typedef\s+ADJ_ENUM\((?<name>\w+)\)\s*\{(?<body>[^}]*)\}\s*\k<name>\s*;")]
    private static partial Regex EnumBlock();

    [GeneratedRegex(@"(?<name>ADJ_\w+)\s*=\s*(?<value>-?\d+)")]
    private static partial Regex Enumerator();
}
