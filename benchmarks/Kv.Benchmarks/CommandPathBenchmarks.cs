using BenchmarkDotNet.Attributes;

namespace Kv.Benchmarks;

/// <summary>
/// The command path without sockets: dispatch, execute against the keyspace and encode the reply
/// into a buffer. Shows per-command cost and allocations of GET, SET, INCR and MSET.
/// </summary>
[MemoryDiagnoser]
public class CommandPathBenchmarks
{
    private CommandRunner _runner = null!;
    private byte[] _get = [], _set = [], _incr = [], _mset = [];

    [GlobalSetup]
    public void Setup()
    {
        _runner = new CommandRunner();
        _get = Encode("GET", "key:000000000042");
        _set = Encode("SET", "key:000000000042", "xxx");
        _incr = Encode("INCR", "counter");
        _mset = Encode("MSET", "key:1", "xxx", "key:2", "xxx", "key:3", "xxx", "key:4", "xxx", "key:5", "xxx");
        Run(_set);
    }

    [Benchmark]
    public int Get() => Run(_get);

    [Benchmark]
    public int Set() => Run(_set);

    [Benchmark]
    public int Incr() => Run(_incr);

    [Benchmark]
    public int MSet5() => Run(_mset);

    private int Run(byte[] request) => _runner.Run(request);

    private static byte[] Encode(params string[] args) => CommandRunner.Encode(args);
}
