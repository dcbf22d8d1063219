using System.Globalization;
using System.Xml.Linq;

namespace Adjoint.Cli.Plotting;

/// <summary>One named series of a chart.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="Points">(x, y) pairs.</param>
/// <param name="Color">An SVG colour.</param>
public sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, string Color);

/// <summary>A labelled point of a scatter chart.</summary>
/// <param name="X">Horizontal value.</param>
/// <param name="Y">Vertical value.</param>
/// <param name="Label">Text beside the point.</param>
/// <param name="Highlight">Drawn emphasised (e.g. on the Pareto front, or the chosen plan).</param>
public sealed record LabelledPoint(double X, double Y, string Label, bool Highlight);

/// <summary>
/// Small SVG charts written as XML with <see cref="XElement"/> (so the output is always well-formed): a line
/// chart, a labelled scatter chart with a Pareto front, and a decision-boundary map. No plotting packages.
/// </summary>
public static class Svg
{
    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";
    private const double Width = 720, Height = 440, Left = 80, Right = 30, Top = 50, Bottom = 60;

    /// <summary>A line chart of one or more series with axes, ticks, labels and a legend.</summary>
    public static XDocument LineChart(string title, string xLabel, string yLabel, IReadOnlyList<Series> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var (x0, x1) = Range(all.Select(p => p.X), padFraction: 0);
        var (y0, y1) = Range(all.Select(p => p.Y).Append(0), padFraction: 0.05);
        var svg = Frame(title, xLabel, yLabel, x0, x1, y0, y1, out var sx, out var sy);
        int legendRow = 0;
        foreach (var s in series)
        {
            var pts = s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))
                .Select(p => F(sx(p.X)) + "," + F(sy(p.Y)));
            svg.Add(new XElement(Ns + "polyline", new XAttribute("fill", "none"), new XAttribute("stroke", s.Color),
                new XAttribute("stroke-width", 2), new XAttribute("points", string.Join(" ", pts))));
            svg.Add(Text(Width - Right - 150, Top + 18 + 18 * legendRow, s.Name, 13, s.Color, "start"));
            legendRow++;
        }
        return Document(svg);
    }

    /// <summary>
    /// A scatter chart of labelled points; highlighted points are joined in x order (a Pareto front) and drawn
    /// larger. <paramref name="verticalLine"/> draws a dashed marker (e.g. a memory budget) with its caption.
    /// </summary>
    public static XDocument Scatter(string title, string xLabel, string yLabel, IReadOnlyList<LabelledPoint> points,
                                    (double X, string Caption)? verticalLine = null)
    {
        ArgumentNullException.ThrowIfNull(points);
        var xs = points.Select(p => p.X).ToList();
        if (verticalLine is { } v) xs.Add(v.X);
        var (x0, x1) = Range(xs.Append(0), padFraction: 0.08);
        var (y0, y1) = Range(points.Select(p => p.Y).Append(0), padFraction: 0.12);
        var svg = Frame(title, xLabel, yLabel, x0, x1, y0, y1, out var sx, out var sy);
        var front = points.Where(p => p.Highlight).OrderBy(p => p.X).ToList();
        if (front.Count > 1)
            svg.Add(new XElement(Ns + "polyline", new XAttribute("fill", "none"), new XAttribute("stroke", "#d62728"),
                new XAttribute("stroke-width", 1.5), new XAttribute("points", string.Join(" ", front.Select(p => F(sx(p.X)) + "," + F(sy(p.Y)))))));
        foreach (var p in points)
        {
            svg.Add(new XElement(Ns + "circle", new XAttribute("cx", F(sx(p.X))), new XAttribute("cy", F(sy(p.Y))),
                new XAttribute("r", p.Highlight ? 6 : 4), new XAttribute("fill", p.Highlight ? "#d62728" : "#1f77b4"),
                new XElement(Ns + "title", $"{p.Label}: {p.X:N0} bytes, {p.Y:N0} steps")));
            svg.Add(Text(sx(p.X) + 8, sy(p.Y) - 6, p.Label, 11, "#333", "start"));
        }
        if (verticalLine is { } line)
        {
            double x = sx(line.X);
            svg.Add(new XElement(Ns + "line", new XAttribute("x1", F(x)), new XAttribute("x2", F(x)), new XAttribute("y1", Top),
                new XAttribute("y2", Height - Bottom), new XAttribute("stroke", "#2ca02c"), new XAttribute("stroke-dasharray", "6 4")));
            svg.Add(Text(x + 4, Top + 14, line.Caption, 12, "#2ca02c", "start"));
        }
        return Document(svg);
    }

    /// <summary>
    /// A decision-boundary map: <paramref name="classOf"/> colours a grid of cells over [−extent, extent]², and the
    /// data points are drawn on top in their true class's colour.
    /// </summary>
    public static XDocument DecisionBoundary(string title, double extent, int cells, Func<double, double, int> classOf,
                                             IReadOnlyList<(double X, double Y, int Label)> points)
    {
        ArgumentNullException.ThrowIfNull(classOf);
        ArgumentNullException.ThrowIfNull(points);
        string[] fill = ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896"];
        string[] dot = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"];
        const double size = 480, margin = 40;
        var svg = new XElement(Ns + "svg", new XAttribute("width", size + 2 * margin), new XAttribute("height", size + 2 * margin + 20),
            new XAttribute("viewBox", $"0 0 {F(size + 2 * margin)} {F(size + 2 * margin + 20)}"));
        svg.Add(new XElement(Ns + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")));
        svg.Add(Text(margin + size / 2, 26, title, 16, "#000", "middle"));
        double cell = size / cells;
        double Sx(double x) => margin + (x + extent) / (2 * extent) * size;
        double Sy(double y) => margin + 20 + (extent - y) / (2 * extent) * size;
        var g = new XElement(Ns + "g", new XAttribute("shape-rendering", "crispEdges"));
        for (int i = 0; i < cells; i++)
        {
            double y = extent - (i + 0.5) * 2 * extent / cells;
            int Class(int j) => classOf(-extent + (j + 0.5) * 2 * extent / cells, y);
            // One rectangle per run of equal cells in the row keeps the file small.
            for (int start = 0; start < cells;)
            {
                int c = Class(start), end = start + 1;
                while (end < cells && Class(end) == c) end++;
                g.Add(new XElement(Ns + "rect", new XAttribute("x", F(margin + start * cell)), new XAttribute("y", F(margin + 20 + i * cell)),
                    new XAttribute("width", F((end - start) * cell + 0.5)), new XAttribute("height", F(cell + 0.5)), new XAttribute("fill", fill[c % fill.Length])));
                start = end;
            }
        }
        svg.Add(g);
        var pts = new XElement(Ns + "g");
        foreach (var (x, y, label) in points)
            pts.Add(new XElement(Ns + "circle", new XAttribute("cx", F(Sx(x))), new XAttribute("cy", F(Sy(y))), new XAttribute("r", 2.2),
                new XAttribute("fill", dot[label % dot.Length]), new XAttribute("stroke", "white"), new XAttribute("stroke-width", 0.4)));
        svg.Add(pts);
        svg.Add(new XElement(Ns + "rect", new XAttribute("x", margin), new XAttribute("y", margin + 20), new XAttribute("width", size),
            new XAttribute("height", size), new XAttribute("fill", "none"), new XAttribute("stroke", "#333")));
        return Document(svg);
    }

    /// <summary>Writes <paramref name="svg"/> to <paramref name="path"/> (creating the folder) and returns the full path.</summary>
    public static string Save(XDocument svg, string path)
    {
        ArgumentNullException.ThrowIfNull(svg);
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using (var writer = System.Xml.XmlWriter.Create(full, new System.Xml.XmlWriterSettings { Encoding = new System.Text.UTF8Encoding(false), Indent = true }))
            svg.Save(writer);
        return full;
    }

    private static XDocument Document(XElement svg) => new(new XDeclaration("1.0", "utf-8", null), svg);

    private static XElement Frame(string title, string xLabel, string yLabel, double x0, double x1, double y0, double y1,
                                  out Func<double, double> sx, out Func<double, double> sy)
    {
        double pw = Width - Left - Right, ph = Height - Top - Bottom;
        sx = x => Left + (x - x0) / (x1 - x0) * pw;
        sy = y => Top + ph - (y - y0) / (y1 - y0) * ph;
        var svg = new XElement(Ns + "svg", new XAttribute("width", Width), new XAttribute("height", Height),
            new XAttribute("viewBox", $"0 0 {F(Width)} {F(Height)}"), new XAttribute("font-family", "sans-serif"));
        svg.Add(new XElement(Ns + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")));
        svg.Add(Text(Width / 2, 28, title, 16, "#000", "middle"));
        svg.Add(new XElement(Ns + "rect", new XAttribute("x", Left), new XAttribute("y", Top), new XAttribute("width", pw),
            new XAttribute("height", ph), new XAttribute("fill", "none"), new XAttribute("stroke", "#333")));
        for (int k = 0; k <= 5; k++)
        {
            double xv = x0 + (x1 - x0) * k / 5, yv = y0 + (y1 - y0) * k / 5;
            svg.Add(Text(sx(xv), Height - Bottom + 18, Tick(xv), 11, "#333", "middle"));
            svg.Add(Text(Left - 8, sy(yv) + 4, Tick(yv), 11, "#333", "end"));
            svg.Add(new XElement(Ns + "line", new XAttribute("x1", Left), new XAttribute("x2", Width - Right), new XAttribute("y1", F(sy(yv))),
                new XAttribute("y2", F(sy(yv))), new XAttribute("stroke", "#eee")));
        }
        svg.Add(Text(Left + pw / 2, Height - 18, xLabel, 13, "#000", "middle"));
        var yText = Text(18, Top + ph / 2, yLabel, 13, "#000", "middle");
        yText.Add(new XAttribute("transform", $"rotate(-90 18 {F(Top + ph / 2)})"));
        svg.Add(yText);
        return svg;
    }

    private static XElement Text(double x, double y, string text, int size, string color, string anchor) =>
        new(Ns + "text", new XAttribute("x", F(x)), new XAttribute("y", F(y)), new XAttribute("font-size", size),
            new XAttribute("fill", color), new XAttribute("text-anchor", anchor), text);

    private static (double, double) Range(IEnumerable<double> values, double padFraction)
    {
        var v = values.Where(double.IsFinite).ToList();
        double lo = v.Count == 0 ? 0 : v.Min(), hi = v.Count == 0 ? 1 : v.Max();
        if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
        double pad = (hi - lo) * padFraction;
        return (lo - (lo == 0 ? 0 : pad), hi + pad);
    }

    private static string Tick(double v)
    {
        double a = Math.Abs(v);
        if (a >= 1e6) return (v / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M";
        if (a >= 1e4) return (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k";
        return v.ToString(a >= 100 ? "0" : a >= 1 ? "0.##" : "0.###", CultureInfo.InvariantCulture);
    }

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
