using System.Text;
using BenchmarkDotNet.Attributes;
using Kv.Protocol;

namespace Kv.Benchmarks;

/// <summary>Parsing a pipeline of 16 SET commands, as redis-benchmark -P 16 sends them.</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private readonly ArgRangeList _args = new();
    private readonly ScratchBuffer _scratch = new();
    private byte[] _pipeline = [];
    private byte[] _inline = [];

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 16; i++)
        {
            sb.Append("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nxxx\r\n");
        }

        _pipeline = Encoding.ASCII.GetBytes(sb.ToString());
        _inline = Encoding.ASCII.GetBytes("SET \"key with space\" 'value'\r\n");
    }

    [Benchmark(OperationsPerInvoke = 16)]
    public int ParsePipelineOf16()
    {
        _args.Clear();
        var limits = new RequestLimits(512 * 1024 * 1024, authenticated: true);
        int position = 0;
        while (position < _pipeline.Length)
        {
            var result = RespRequestParser.Parse(_pipeline.AsSpan(position), limits, _args, _scratch);
            position += result.Consumed;
        }

        return _args.Count;
    }

    [Benchmark]
    public int ParseInline()
    {
        _args.Clear();
        _scratch.Clear();
        var limits = new RequestLimits(512 * 1024 * 1024, authenticated: true);
        return RespRequestParser.Parse(_inline, limits, _args, _scratch).Consumed;
    }
}
