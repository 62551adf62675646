using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Kv.Protocol;
using Kv.Server;
using Kv.Server.Commands;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kv.Benchmarks;

/// <summary>
/// The command path without sockets: dispatch, execute against the keyspace and encode the reply
/// into a buffer. Shows per-command cost and allocations of GET, SET, INCR and MSET.
/// </summary>
[MemoryDiagnoser]
public class CommandPathBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(1 << 16);
    private readonly ArgRangeList _args = new();
    private readonly ScratchBuffer _scratch = new();
    private CommandContext _context = null!;
    private byte[] _get = [], _set = [], _incr = [], _mset = [];

    [GlobalSetup]
    public void Setup()
    {
        var server = new ServerState(new ServerConfig(), TimeProvider.System, NullLogger.Instance);
        var session = new ClientSession(1, "127.0.0.1:1", "127.0.0.1:6379", 0) { Authenticated = true };
        _context = new CommandContext(server, session, new RespWriter(_output));
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

    private int Run(byte[] request)
    {
        _args.Clear();
        _output.ResetWrittenCount();
        var limits = new RequestLimits(512 * 1024 * 1024, authenticated: true);
        RespRequestParser.Parse(request, limits, _args, _scratch);
        _context.SetArguments(request, _args, 0, _args.Count);
        CommandDispatcher.Execute(_context);
        return _output.WrittenCount;
    }

    private static byte[] Encode(params string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            sb.Append('$').Append(arg.Length).Append("\r\n").Append(arg).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
