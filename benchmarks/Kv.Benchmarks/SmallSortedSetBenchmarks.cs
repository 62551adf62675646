using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Kv.Benchmarks;

/// <summary>
/// Commands on small sorted sets (3 and 100 members, both within Redis's listpack limits), through the whole
/// command path: a score update that moves the member, a new member followed by its removal, ZSCORE, ZRANK and
/// ZRANGE 0 -1 WITHSCORES. Small sets are what the product creates by the million (a rate-limit log per client).
/// </summary>
[MemoryDiagnoser]
public class SmallSortedSetBenchmarks
{
    private CommandRunner _runner = null!;
    private byte[][] _updates = [];
    private byte[] _addNew = [], _removeNew = [], _score = [], _rank = [], _range = [];
    private int _next;

    [Params(3, 100)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _runner = new CommandRunner();
        var random = new Random(42);
        var add = new List<string> { "ZADD", "small" };
        for (int i = 0; i < Members; i++)
        {
            add.Add(random.Next(1000).ToString(CultureInfo.InvariantCulture));
            add.Add("member:" + i.ToString(CultureInfo.InvariantCulture));
        }

        Run(Encode([.. add]));
        _updates = new byte[1024][];
        for (int i = 0; i < 1024; i++)
        {
            string member = "member:" + random.Next(Members).ToString(CultureInfo.InvariantCulture);
            _updates[i] = Encode("ZADD", "small", random.Next(1000).ToString(CultureInfo.InvariantCulture), member);
        }

        string middle = "member:" + (Members / 2).ToString(CultureInfo.InvariantCulture);
        _addNew = Encode("ZADD", "small", "500", "newcomer");
        _removeNew = Encode("ZREM", "small", "newcomer");
        _score = Encode("ZSCORE", "small", middle);
        _rank = Encode("ZRANK", "small", middle);
        _range = Encode("ZRANGE", "small", "0", "-1", "WITHSCORES");
    }

    [Benchmark]
    public int ZAddUpdateScore() => Run(_updates[_next++ & 1023]);

    [Benchmark]
    public int ZAddNewThenZRem() => Run(_addNew) + Run(_removeNew);

    [Benchmark]
    public int ZScore() => Run(_score);

    [Benchmark]
    public int ZRank() => Run(_rank);

    [Benchmark]
    public int ZRangeAll() => Run(_range);

    private int Run(byte[] request) => _runner.Run(request);

    private static byte[] Encode(params string[] args) => CommandRunner.Encode(args);
}
