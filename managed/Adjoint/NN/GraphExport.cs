using System.Globalization;
using System.Text;

namespace Adjoint.NN;

/// <summary>
/// Exports the backward graph behind a tensor (its <see cref="Tensor.GradFn"/> and everything it reaches) as
/// Graphviz DOT, drawn in the forward direction: parameters and inputs (boxes) flow into ops (ellipses) and end in
/// the output. Parameters of a given module are labelled with their dotted names.
/// </summary>
public static class GraphExport
{
    /// <summary>The DOT text of the graph that computed <paramref name="output"/>.</summary>
    /// <param name="output">A tensor produced by recorded ops (e.g. a loss).</param>
    /// <param name="module">Optional: names parameters ("0.weight") in the drawing.</param>
    /// <param name="graphName">The DOT graph's name.</param>
    public static string ToDot(Tensor output, Module? module = null, string graphName = "adjoint")
    {
        ArgumentNullException.ThrowIfNull(output);
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        if (module is not null)
            foreach (var (name, p) in module.NamedParameters()) names[p.Value] = name;

        var ids = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var order = new List<Node>();
        var stack = new Stack<Node>();
        if (output.GradFn is { } root) { ids[root] = 0; order.Add(root); stack.Push(root); }
        else if (output.RequiresGrad) { var acc = output.Accumulator(); ids[acc] = 0; order.Add(acc); }
        var edges = new List<(int From, int To)>();
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var edge in node.NextEdges)
            {
                if (edge.Node is not { } input) continue;
                if (!ids.TryGetValue(input, out int id))
                {
                    id = ids[input] = order.Count;
                    order.Add(input);
                    stack.Push(input);
                }
                edges.Add((id, ids[node]));
            }
        }

        var sb = new StringBuilder();
        sb.Append("digraph ").Append(Id(graphName)).AppendLine(" {");
        sb.AppendLine("  rankdir=LR;");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=11];");
        for (int i = 0; i < order.Count; i++)
        {
            var node = order[i];
            if (node is AccumulateGrad acc)
            {
                var leaf = acc.Leaf;
                string label = (names.TryGetValue(leaf, out var n) ? n : "leaf") + "\\n" + Shapes.Format(leaf.ShapeArray);
                sb.Append(CultureInfo.InvariantCulture, $"  n{i} [label={Quote(label)}, shape=box, style=filled, fillcolor=\"#dbe9f6\"];").AppendLine();
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"  n{i} [label={Quote(node.Name)}, shape=ellipse];").AppendLine();
            }
        }
        sb.Append(CultureInfo.InvariantCulture, $"  out [label={Quote("output\\n" + Shapes.Format(output.ShapeArray))}, shape=doubleoctagon, style=filled, fillcolor=\"#fde0c5\"];").AppendLine();
        foreach (var (from, to) in edges)
            sb.Append(CultureInfo.InvariantCulture, $"  n{from} -> n{to};").AppendLine();
        if (order.Count > 0) sb.AppendLine("  n0 -> out;");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static string Id(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !char.IsAsciiDigit(name[0]) ? name : Quote(name);

    // DOT strings: backslash escapes are kept (\n is a line break), quotes are escaped.
    private static string Quote(string s) => "\"" + s.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
