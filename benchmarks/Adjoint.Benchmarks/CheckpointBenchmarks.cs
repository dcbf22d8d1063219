using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Adjoint.Benchmarks;

/// <summary>
/// The checkpointing trade-off on the chain of docs/CHECKPOINTING.md: L = 100 layers y = tanh(y·W + b), width
/// 256, batch 32, float32, loss = sum of squares; one forward and backward per invocation, for every policy.
/// The peak-saved-bytes columns are measured in the host process with <see cref="MemoryStats"/>.
/// Run: <c>dotnet run -c Release --project benchmarks/Adjoint.Benchmarks -- --filter '*Checkpoint*' --job short</c>.
/// </summary>
[Config(typeof(Columns))]
public class CheckpointBenchmarks
{
    internal const int Layers = 100, Width = 256, Batch = 32;

    private Chain _chain = null!;

    /// <summary>The policy, by name (see <see cref="Parse"/>).</summary>
    [Params("None", "SqrtN", "EveryK(5)", "EveryK(20)", "Binomial(10)", "Binomial(4)", "Budget(20%)", "Budget(5%)", "SelectiveOps(Tanh)")]
    public string Policy { get; set; } = "None";

    [GlobalSetup]
    public void Setup() => _chain = new Chain();

    [Benchmark]
    public float ForwardBackward() => _chain.Step(Parse(Policy, _chain));

    /// <summary>None, SqrtN, EveryK(k), Binomial(s), Budget(p%) (p % of the plain saved bytes), SelectiveOps(op,op).</summary>
    internal static CheckpointPolicy Parse(string name, Chain chain)
    {
        var m = System.Text.RegularExpressions.Regex.Match(name, @"^(\w+)(?:\((.*)\))?$");
        string arg = m.Groups[2].Value;
        return m.Groups[1].Value switch
        {
            "None" => CheckpointPolicy.None,
            "SqrtN" => CheckpointPolicy.SqrtN,
            "EveryK" => CheckpointPolicy.EveryK(int.Parse(arg, CultureInfo.InvariantCulture)),
            "Binomial" => CheckpointPolicy.Binomial(int.Parse(arg, CultureInfo.InvariantCulture)),
            "Budget" => CheckpointPolicy.MemoryBudget(chain.PlainBytes * int.Parse(arg.TrimEnd('%'), CultureInfo.InvariantCulture) / 100),
            "SelectiveOps" => CheckpointPolicy.SelectiveOps(arg.Split(',')),
            _ => throw new ArgumentException($"unknown policy {name}"),
        };
    }

    internal sealed class Chain
    {
        private readonly Tensor[] _w = new Tensor[Layers], _b = new Tensor[Layers];
        private readonly Func<Tensor, Tensor>[] _layers = new Func<Tensor, Tensor>[Layers];
        private readonly Tensor _x;

        public Chain()
        {
            var g = new Generator(1);
            for (int i = 0; i < Layers; i++)
            {
                _w[i] = (Tensor.Randn([Width, Width], DType.Float32, g) * (1.0 / Math.Sqrt(Width))).Detach().SetRequiresGrad();
                _b[i] = (Tensor.Randn([Width], DType.Float32, g) * 0.1).Detach().SetRequiresGrad();
                int k = i;
                _layers[i] = y => (y.MatMul(_w[k]) + _b[k]).Tanh();
            }
            _x = Tensor.Randn([Batch, Width], DType.Float32, g);
            PlainBytes = Checkpoint.Profile(_layers, _x).SavedBytes.Sum();
        }

        public long PlainBytes { get; }

        public float Step(CheckpointPolicy policy)
        {
            foreach (var t in _w) t.ZeroGrad();
            foreach (var t in _b) t.ZeroGrad();
            var y = Checkpoint.Sequential(_layers, _x, policy);
            var loss = (y * y).Sum();
            loss.Backward();
            return loss.Item<float>();
        }

        /// <summary>The plain forward pass and loss with the graph recorded, dropped without backward.</summary>
        public float Forward()
        {
            var y = Checkpoint.Sequential(_layers, _x, CheckpointPolicy.None);
            return (y * y).Sum().Item<float>();
        }

        /// <summary>Peak saved bytes and recomputed steps of one step, measured.</summary>
        public (long Peak, long Recomputed) Measure(CheckpointPolicy policy)
        {
            long baseline = MemoryStats.SavedBytes;
            MemoryStats.ResetPeak();
            Step(policy);
            return (MemoryStats.PeakSavedBytes - baseline, MemoryStats.RecomputedSteps);
        }
    }

    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddColumn(StatisticColumn.Median);
            AddColumn(new MeasuredColumn("Peak saved bytes", m => m.Peak.ToString("N0", CultureInfo.InvariantCulture)));
            AddColumn(new MeasuredColumn("% of plain", m => (100.0 * m.Peak / m.Plain).ToString("F1", CultureInfo.InvariantCulture)));
            AddColumn(new MeasuredColumn("Recomputed layers", m => m.Recomputed.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>A column computed once per policy in the host process.</summary>
    private sealed class MeasuredColumn(string name, Func<(long Peak, long Plain, long Recomputed), string> format) : IColumn
    {
        private static readonly Dictionary<string, (long, long, long)> Cache = [];
        private static Chain? _chain;

        private static (long Peak, long Plain, long Recomputed) Get(string policy)
        {
            lock (Cache)
            {
                if (Cache.TryGetValue(policy, out var hit)) return hit;
                _chain ??= new Chain();
                var none = _chain.Measure(CheckpointPolicy.None);
                var m = _chain.Measure(Parse(policy, _chain));
                return Cache[policy] = (m.Peak, none.Peak, m.Recomputed);
            }
        }

        public string Id => name;
        public string ColumnName => name;
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => $"{name}, measured with MemoryStats for one forward+backward (loss included)";
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
            format(Get((string)benchmarkCase.Parameters["Policy"]));
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
