using Spectre.Console;

namespace Adjoint.Cli.Training;

/// <summary>
/// Runs training epochs with live feedback: a progress bar whose caption shows the latest loss and accuracy on an
/// interactive terminal, and one plain line per tenth of the run (and the last epoch) when output is redirected.
/// </summary>
public static class EpochProgress
{
    /// <summary>Runs <paramref name="epoch"/> for 1 … <paramref name="epochs"/>; it returns the caption to show.</summary>
    public static void Run(IAnsiConsole console, int epochs, Func<int, string> epoch)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(epoch);
        if (!console.Profile.Capabilities.Interactive)
        {
            int every = Math.Max(1, epochs / 10);
            for (int e = 1; e <= epochs; e++)
            {
                string caption = epoch(e);
                if (e % every == 0 || e == epochs) console.WriteLine(caption);
            }
            return;
        }
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("epoch 0", maxValue: epochs);
                for (int e = 1; e <= epochs; e++)
                {
                    task.Description = Markup.Escape(epoch(e));
                    task.Increment(1);
                }
            });
    }
}
