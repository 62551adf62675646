using System.Buffers;
using System.Text;
using Kv.Protocol;
using Kv.Server;
using Kv.Server.Commands;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kv.Benchmarks;

/// <summary>
/// The server's command path without sockets, for the benchmarks: parse a request, dispatch and execute it
/// against a fresh keyspace, encode the reply into a reused buffer.
/// </summary>
internal sealed class CommandRunner
{
    private readonly ArrayBufferWriter<byte> _output = new(1 << 16);
    private readonly ArgRangeList _args = new();
    private readonly ScratchBuffer _scratch = new();
    private readonly CommandContext _context;
    private readonly ServerState _server;

    public CommandRunner()
    {
        var server = new ServerState(new ServerConfig(), TimeProvider.System, NullLogger.Instance);
        _server = server;
        var session = new ClientSession(1, "127.0.0.1:1", "127.0.0.1:6379", 0) { Authenticated = true };
        _context = new CommandContext(server, session, new RespWriter(_output));
    }

    /// <summary>
    /// Runs one encoded request as a batch of its own, as a connection does for a client that waits for each
    /// reply (dropped keys freed, small collections put back in their blocks); returns the reply's length.
    /// </summary>
    public int Run(byte[] request)
    {
        _args.Clear();
        _output.ResetWrittenCount();
        var limits = new RequestLimits(512 * 1024 * 1024, authenticated: true);
        RespRequestParser.Parse(request, limits, _args, _scratch);
        _context.SetArguments(request, _args, 0, _args.Count);
        CommandDispatcher.Execute(_context);
        _server.Keyspace.FreeReleased();
        return _output.WrittenCount;
    }

    /// <summary>A RESP multibulk request of ASCII arguments.</summary>
    public static byte[] Encode(params string[] args)
    {
        var sb = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
        {
            sb.Append('$').Append(arg.Length).Append("\r\n").Append(arg).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
