using System.Buffers;
using System.IO.Pipelines;
using Kv.Protocol;
using Kv.Server.Commands;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Network;

/// <summary>
/// One client's read loop: read, parse every complete command in the buffer, run the batch under
/// one acquisition of the keyspace lock, write all replies, flush once.
/// </summary>
internal sealed class ClientConnection
{
    // A batch is cut at this many commands so one client's deep pipeline cannot hold the keyspace
    // lock (and starve the others) for long; the rest of the buffer is parsed right after.
    private const int MaxBatchCommands = 512;

    private readonly ServerState _server;
    private readonly ConnectionContext _connection;
    private readonly ClientSession _session;
    private readonly CommandContext _context;
    private readonly RespWriter _reply;
    private readonly ArgRangeList _args = new();
    private readonly ScratchBuffer _inline = new();
    private readonly List<PendingCommand> _batch = new(16);
    private readonly DiscardBufferWriter _discard = new();
    private byte[] _staging = [];

    public ClientConnection(ServerState server, ConnectionContext connection, ClientSession session)
    {
        _server = server;
        _connection = connection;
        _session = session;
        _reply = new RespWriter(connection.Transport.Output);
        _context = new CommandContext(server, session, _reply);
    }

    public async Task RunAsync()
    {
        var input = _connection.Transport.Input;
        var output = _connection.Transport.Output;
        long needed = 0;
        while (true)
        {
            var result = await input.ReadAsync(_connection.ConnectionClosed).ConfigureAwait(false);
            var buffer = result.Buffer;
            _session.QueryBufferLength = buffer.Length;
            _server.Stats.TotalNetInputBytes += buffer.Length; // approximate: counts re-examined bytes of partial commands again

            if (buffer.Length > _server.Config.ClientQueryBufferLimit)
            {
                _server.Logger.LogWarning("Closing client id={Id} addr={Address}: it reached the query buffer limit (client-query-buffer-limit).", _session.Id, _session.Address);
                return;
            }

            if (buffer.Length < needed && !result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            var source = Contiguous(buffer);
            int position = 0;
            string? protocolError = null;
            needed = 0;
            while (true)
            {
                _batch.Clear();
                _args.Clear();
                _inline.Clear();
                while (_batch.Count < MaxBatchCommands)
                {
                    var limits = new RequestLimits(_server.Config.ProtoMaxBulkLen, _session.Authenticated);
                    int firstArg = _args.Count;
                    var parsed = RespRequestParser.Parse(source.Span[position..], limits, _args, _inline);
                    if (parsed.Status == RequestStatus.Complete)
                    {
                        // Multibulk ranges are relative to where the command started; inline ones to the scratch buffer.
                        var commandSource = parsed.IsInline ? _inline.Array : source[position..];
                        _batch.Add(new PendingCommand(commandSource, firstArg, _args.Count - firstArg));
                        position += parsed.Consumed;
                    }
                    else if (parsed.Status == RequestStatus.Empty)
                    {
                        position += parsed.Consumed;
                    }
                    else
                    {
                        if (parsed.Status == RequestStatus.ProtocolError)
                        {
                            protocolError = parsed.Error;
                        }
                        else
                        {
                            needed = parsed.BytesNeeded;
                        }

                        break;
                    }
                }

                if (_batch.Count > 0)
                {
                    ExecuteBatch();
                }

                bool batchFull = _batch.Count == MaxBatchCommands;
                if (!batchFull || protocolError is not null || _session.CloseRequested)
                {
                    break;
                }
            }

            if (protocolError is not null)
            {
                // Redis answers the protocol error, then closes the connection once it is written.
                _reply.Error(protocolError);
                _server.Logger.LogDebug("Protocol error from client id={Id} addr={Address}: {Error}", _session.Id, _session.Address, protocolError);
                await output.FlushAsync().ConfigureAwait(false);
                return;
            }

            var consumed = buffer.GetPosition(position);
            input.AdvanceTo(consumed, buffer.End);
            _session.QueryBufferLength = buffer.Length - position;

            var flush = await output.FlushAsync().ConfigureAwait(false);
            if (_session.CloseRequested || result.IsCompleted || flush.IsCompleted)
            {
                return;
            }
        }
    }

    private ReadOnlyMemory<byte> Contiguous(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return buffer.First;
        }

        // A command split across receive segments: copy what is buffered into one array. The
        // "needed" hint above makes this happen once for a large value, not once per receive.
        if (_staging.Length < buffer.Length || _staging.Length > 4 * Math.Max(buffer.Length, 4096))
        {
            _staging = new byte[Math.Max(buffer.Length, 4096)];
        }

        buffer.CopyTo(_staging);
        return _staging.AsMemory(0, (int)buffer.Length);
    }

    private void ExecuteBatch()
    {
        var context = _context;
        var session = _session;
        var output = _connection.Transport.Output;
        lock (_server.Keyspace.Lock)
        {
            foreach (var command in _batch)
            {
                if (session.CloseRequested)
                {
                    break;
                }

                context.SetArguments(command.Source, _args, command.FirstArg, command.ArgCount);
                var mode = session.ReplyMode;
                bool suppressed = mode is ReplyMode.Off or ReplyMode.SkipNext;
                _reply.Protocol = session.Protocol;
                if (suppressed)
                {
                    _reply.Output = _discard;
                }

                CommandDispatcher.Execute(context);

                if (suppressed)
                {
                    _reply.Output = output;
                    // CLIENT REPLY ON and RESET turn replies back on before replying (Redis clears the flags first).
                    if (session.ReplyMode == ReplyMode.On)
                    {
                        _reply.Raw(_discard.Written);
                    }

                    _discard.Reset();
                    if (mode == ReplyMode.SkipNext && session.ReplyMode == ReplyMode.SkipNext)
                    {
                        session.ReplyMode = ReplyMode.On;
                    }
                }
            }
        }
    }

    private readonly record struct PendingCommand(ReadOnlyMemory<byte> Source, int FirstArg, int ArgCount);

    /// <summary>Holds the replies of one command while CLIENT REPLY OFF or SKIP is in force; they are dropped unless the command turned replies back on.</summary>
    private sealed class DiscardBufferWriter : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[256];
        private int _written;

        public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _written);

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).Span;

        public void Reset()
        {
            _written = 0;
            if (_buffer.Length > 64 * 1024)
            {
                _buffer = new byte[256];
            }
        }

        private Memory<byte> Ensure(int sizeHint)
        {
            if (_buffer.Length - _written < Math.Max(sizeHint, 1))
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _written + Math.Max(sizeHint, 256)));
            }

            return _buffer.AsMemory(_written);
        }
    }
}
