using System.Globalization;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// The markdown table of one comparison: a row per operation and caller count, the contenders side by
/// side (each cell the median of the repeated runs), and the first contender's throughput over the second's.
/// </summary>
/// <param name="serverCpu">Whether the server runs in a process of its own, whose CPU time per call gets a column.</param>
internal sealed class ComparisonTable(string title, IReadOnlyList<string> contenders, bool serverCpu)
{
    private readonly List<string> _rows = [];

    public void Add(CacheOperation operation, int callers, IReadOnlyList<List<Measurement>> runs)
    {
        var cells = new List<string> { CacheOperations.Title(operation), Number(callers) };
        var opsPerSecond = new double[runs.Count];
        for (int i = 0; i < runs.Count; i++)
        {
            opsPerSecond[i] = Median(runs[i], m => m.OpsPerSecond);
            long misses = runs[i].Sum(m => m.Misses);
            cells.Add(Number(opsPerSecond[i]) + (misses > 0 ? $" ({Number(misses)} misses!)" : ""));
        }

        if (runs.Count >= 2)
        {
            cells.Add((opsPerSecond[0] / opsPerSecond[1]).ToString("0.00", CultureInfo.InvariantCulture) + "x");
        }

        foreach (var list in runs)
        {
            cells.Add($"{Number(Median(list, m => m.P50))} / {Number(Median(list, m => m.P99))}");
        }

        foreach (var list in runs)
        {
            cells.Add(Number(Median(list, m => m.BytesPerOp)));
        }

        if (serverCpu)
        {
            foreach (var list in runs)
            {
                cells.Add(Median(list, m => m.ServerCpuMicroseconds).ToString("N1", CultureInfo.InvariantCulture));
            }
        }

        _rows.Add("| " + string.Join(" | ", cells) + " |");
    }

    public void Write(TextWriter output)
    {
        var header = new List<string> { "operation", "callers" };
        header.AddRange(contenders.Select(c => $"{c} ops/s"));
        if (contenders.Count >= 2)
        {
            header.Add($"{contenders[0]}/{contenders[1]}");
        }

        header.AddRange(contenders.Select(c => $"{c} p50 / p99 µs"));
        header.AddRange(contenders.Select(c => $"{c} B/op"));
        if (serverCpu)
        {
            header.AddRange(contenders.Select(c => $"{c} server CPU µs/call"));
        }

        output.WriteLine();
        output.WriteLine($"### {title}");
        output.WriteLine();
        output.WriteLine("| " + string.Join(" | ", header) + " |");
        output.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", header.Count - 1)));
        foreach (var row in _rows)
        {
            output.WriteLine(row);
        }

        output.Flush();
    }

    private static double Median(List<Measurement> runs, Func<Measurement, double> pick)
    {
        var values = runs.Select(pick).Order().ToArray();
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    private static string Number(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
