using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Adjoint.Cli.Commands;

/// <summary>
/// <c>adjoint gradcheck</c>: checks every row of the derivative table against central differences in float64 (and,
/// optionally, its second derivative) and prints the maximum errors as a table. Exit code 1 when a case fails or a
/// row has no case.
/// </summary>
public static class GradcheckCommand
{
    /// <summary>Builds the <c>gradcheck</c> command with its options.</summary>
    public static Command Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var filter = new Option<string?>("--filter", "-f") { Description = "Only cases whose name or row contains this text (case-insensitive)." };
        var second = new Option<bool>("--second-order") { Description = "Also check second derivatives (double backward)." };
        var atol = new Option<double>("--atol") { Description = "Absolute tolerance.", DefaultValueFactory = _ => 1e-6 };
        var rtol = new Option<double>("--rtol") { Description = "Relative tolerance.", DefaultValueFactory = _ => 1e-5 };
        var command = new Command("gradcheck", "Gradcheck the whole derivative table (VJP of every row against central differences in float64) and print the maximum errors.")
        {
            filter, second, atol, rtol,
        };
        command.SetAction(parse => Run(context, parse.GetValue(filter), parse.GetValue(second), parse.GetValue(atol), parse.GetValue(rtol)));
        return command;
    }

    private static int Run(CliContext context, string? filter, bool secondOrder, double atol, double rtol)
    {
        if (!(atol >= 0) || !(rtol >= 0)) return context.Invalid("--atol and --rtol must be non-negative.");
        var cases = DerivativeCases.All()
            .Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase) || c.Row.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (cases.Count == 0) return context.Invalid($"--filter '{filter}' matches no case; rows are: {string.Join(", ", DerivativeCases.TableRows())}.");

        var table = new Table().Border(TableBorder.Rounded).AddColumn("case").AddColumn("row")
            .AddColumn(new TableColumn("max abs error").RightAligned()).AddColumn(new TableColumn("max rel error").RightAligned());
        if (secondOrder) table.AddColumn(new TableColumn("2nd order abs").RightAligned());
        table.AddColumn("result");
        int failed = 0;
        foreach (var c in cases)
        {
            using var scope = TensorScope.Begin();
            var cells = new List<string> { Markup.Escape(c.Name), Markup.Escape(c.Row) };
            bool ok;
            try
            {
                var (eps, caseAtol, caseRtol) = c.Tolerance;
                // The user's tolerances apply to float64 cases; a case with a coarse step (a float32 round trip) keeps its own.
                double tolA = eps > 1e-4 ? caseAtol : atol, tolR = eps > 1e-4 ? caseRtol : rtol;
                var r = Gradcheck.Check(c.Apply, c.Inputs(), eps: eps, atol: tolA, rtol: tolR, raiseException: false);
                ok = r.Passed;
                cells.Add(E(r.MaxAbsError));
                cells.Add(E(r.MaxRelError));
                if (secondOrder)
                {
                    if (c.SecondOrder)
                    {
                        var r2 = Gradcheck.CheckSecondOrder(c.Apply, c.Inputs(), eps: 1e-5, atol: 1e-5, rtol: 1e-4, raiseException: false);
                        ok &= r2.Passed;
                        cells.Add(E(r2.MaxAbsError));
                    }
                    else cells.Add("—");
                }
            }
#pragma warning disable CA1031 // one failing case is reported in the table; the others still run
            catch (Exception e)
#pragma warning restore CA1031
            {
                ok = false;
                cells.Add("—");
                cells.Add("—");
                if (secondOrder) cells.Add("—");
                cells[0] += " [red]" + Markup.Escape(e.GetType().Name + ": " + e.Message) + "[/]";
            }
            cells.Add(ok ? "[green]pass[/]" : "[red]FAIL[/]");
            if (!ok) failed++;
            table.AddRow(cells.ToArray());
        }
        context.Console.Write(table);

        var covered = DerivativeCases.All().Select(c => c.Row).ToHashSet();
        var missing = DerivativeCases.TableRows().Where(r => !covered.Contains(r)).ToList();
        int rows = DerivativeCases.TableRows().Count;
        context.Console.MarkupLine($"{cases.Count} cases over {cases.Select(c => c.Row).Distinct().Count()} of the table's {rows} differentiable rows; {failed} failed.");
        if (missing.Count > 0)
            context.Console.MarkupLine($"[red]Rows without a case: {Markup.Escape(string.Join(", ", missing))}[/]");
        return failed > 0 || (filter is null && missing.Count > 0) ? Cli.Failure : Cli.Success;
    }

    private static string E(double v) => v.ToString("0.00E+00", CultureInfo.InvariantCulture);
}
