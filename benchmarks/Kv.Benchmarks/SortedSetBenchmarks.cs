using System.Globalization;
using BenchmarkDotNet.Attributes;

namespace Kv.Benchmarks;

/// <summary>
/// ZADD (a score update that moves the member, and a new member followed by its removal) and ZRANK on a
/// 1M-member sorted set, through the whole command path (dispatch, skiplist, reply encoding).
/// </summary>
[MemoryDiagnoser]
public class SortedSetBenchmarks
{
    private const int Members = 1_000_000;
    private CommandRunner _runner = null!;
    private byte[][] _updates = [], _ranks = [];
    private byte[] _addNew = [], _removeNew = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _runner = new CommandRunner();
        var random = new Random(42);
        for (int start = 0; start < Members; start += 1000)
        {
            var batch = new List<string> { "ZADD", "board" };
            for (int i = start; i < start + 1000; i++)
            {
                batch.Add(random.Next(10_000_000).ToString(CultureInfo.InvariantCulture));
                batch.Add("member:" + i.ToString(CultureInfo.InvariantCulture));
            }

            Run(Encode([.. batch]));
        }

        _updates = new byte[1024][];
        _ranks = new byte[1024][];
        for (int i = 0; i < 1024; i++)
        {
            string member = "member:" + random.Next(Members).ToString(CultureInfo.InvariantCulture);
            _updates[i] = Encode("ZADD", "board", random.Next(10_000_000).ToString(CultureInfo.InvariantCulture), member);
            _ranks[i] = Encode("ZRANK", "board", member);
        }

        _addNew = Encode("ZADD", "board", "5000000", "newcomer");
        _removeNew = Encode("ZREM", "board", "newcomer");
    }

    [Benchmark]
    public int ZAddUpdateScore() => Run(_updates[_next++ & 1023]);

    [Benchmark]
    public int ZAddNewThenZRem() => Run(_addNew) + Run(_removeNew);

    [Benchmark]
    public int ZRank() => Run(_ranks[_next++ & 1023]);

    private int Run(byte[] request) => _runner.Run(request);

    private static byte[] Encode(params string[] args) => CommandRunner.Encode(args);
}
