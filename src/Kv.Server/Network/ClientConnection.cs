using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Kv.Protocol;
using Kv.Server.Blocking;
using Kv.Server.Commands;
using Kv.Server.PubSub;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Network;

/// <summary>
/// One client's read loop: read, parse every complete command in the buffer, run the batch under
/// one acquisition of the keyspace lock, write all replies, flush once.
/// </summary>
/// <remarks>
/// Every read is consumed from the transport pipe at once. Commands are parsed in place when the
/// read is one segment; a command that has not fully arrived (or a read spanning segments) is
/// copied to the connection's own query buffer, where the next reads are appended and parsing
/// resumes where it stopped — as Redis's querybuf. So the pipe never holds a large request (its
/// back-pressure keeps working), a large request is copied once, and client-query-buffer-limit
/// bounds what one client makes us hold.
/// </remarks>
internal sealed class ClientConnection : IBlockingHost
{
    // A batch is cut at this many commands so one client's deep pipeline cannot hold the keyspace
    // lock (and starve the others) for long; the rest of the buffer is parsed right after.
    private const int MaxBatchCommands = 512;

    // A batch stops early once its replies pass this size, so they are flushed (waiting for a slow
    // reader) before more are made: 512 pipelined GETs of a large value never sit in memory at once.
    private const int FlushAfterReplyBytes = 1024 * 1024;

    // The query buffer shrinks back when empty and bigger than this (a large value passed through).
    private const int QueryBufferKeep = 64 * 1024;

    private readonly ServerState _server;
    private readonly ConnectionContext _connection;
    private readonly ClientSession _session;
    private readonly CommandContext _context;
    private readonly RespWriter _reply;
    private readonly ArgRangeList _args = new();
    private readonly ScratchBuffer _inline = new();
    private readonly List<PendingCommand> _batch = new(16);
    private readonly DiscardBufferWriter _discard = new();
    private MultiBulkProgress _progress;

    // Bytes read from the transport and not yet parsed into complete commands: [_queryStart, _queryEnd).
    private byte[] _query = new byte[4096];
    private int _queryStart;
    private int _queryEnd;

    // How many bytes of the query buffer the partial command needs before parsing can progress.
    private long _needed;

    // Reply bytes written before the current batch started.
    private long _batchStartBytes;

    // CLIENT REPLY SKIP: the reply of the command being run is dropped (Redis's CLIENT_REPLY_SKIP).
    private bool _skipReply;

    // While blocked (BLPOP…): the context a ready key re-runs the command in, and where its reply goes
    // until this connection wakes up and copies it to the transport. Made on the first block.
    private CommandContext? _servingContext;
    private ArrayBufferWriter<byte>? _servingOutput;

    // Pub/sub messages other clients publish for this one wait here until this loop sends them.
    private readonly Subscriber _subscriber;

    // Everything this connection sends goes through here (replies, pushes, served waiters' replies).
    private readonly ReplyBuffer _out;

    public ClientConnection(ServerState server, ConnectionContext connection, ClientSession session)
    {
        _server = server;
        _connection = connection;
        _session = session;
        _out = new ReplyBuffer(connection.Transport.Output);
        _reply = new RespWriter(_out);
        _context = new CommandContext(server, session, _reply) { BlockingHost = this };
        _subscriber = new Subscriber(session, connection.Transport.Input.CancelPendingRead);
        session.Subscriber = _subscriber;
    }

    private int QueryLength => _queryEnd - _queryStart;

    public async Task RunAsync()
    {
        try
        {
            await ServeAsync().ConfigureAwait(false);
        }
        finally
        {
            // Whatever a path that ended without flushing wrote still goes out when the transport completes.
            try
            {
                _out.Commit();
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private async Task ServeAsync()
    {
        var input = _connection.Transport.Input;
        var output = _out;
        while (true)
        {
            // No ConnectionClosed token here: Kestrel fires it on the peer's FIN too, and commands
            // sent before a half-close must still run and be answered. Aborts fail the read instead.
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled && buffer.IsEmpty)
            {
                // Woken by a publisher: send what it queued for us.
                input.AdvanceTo(buffer.End);
                if (!await FlushPushesAsync(output).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }
            Interlocked.Add(ref _server.Stats.TotalNetInputBytes, buffer.Length);

            ReadOnlyMemory<byte> source;
            bool inPlace = QueryLength == 0 && buffer.IsSingleSegment;
            if (inPlace)
            {
                source = buffer.First;
            }
            else
            {
                Append(buffer);
                input.AdvanceTo(buffer.End);
                source = _query.AsMemory(_queryStart, QueryLength);
            }

            int position = 0;
            string? protocolError = null;
            bool inputCompleted = result.IsCompleted;
            if (source.Length >= _needed || result.IsCompleted)
            {
                _needed = 0;
                while (true)
                {
                    position += ParseAndExecute(source[position..], out protocolError, out bool outputFull, out bool hop);
                    if (hop)
                    {
                        // A script is next: it runs on a thread-pool thread, never on the socket engine's thread
                        // this read completed on (a runaway script there would stop every socket it serves,
                        // SCRIPT KILL's included). The buffer stays valid: nothing was advanced.
                        await Task.Yield();
                        continue;
                    }

                    if (_context.BlockedOn is { } waiter)
                    {
                        // Blocked (BLPOP…): what was pipelined after it runs once it is served, as in Redis.
                        // Keep the unparsed bytes in our own buffer and release the read, so the connection
                        // keeps reading (and sees a disconnect) while it waits.
                        _context.BlockedOn = null;
                        if (inPlace)
                        {
                            Append(source.Span[position..]);
                            input.AdvanceTo(buffer.End);
                            inPlace = false;
                        }
                        else
                        {
                            Consume(position);
                        }

                        position = 0;
                        var (alive, closed) = await WaitWhileBlockedAsync(waiter, input, output).ConfigureAwait(false);
                        if (!alive)
                        {
                            return;
                        }

                        inputCompleted |= closed;
                        source = _query.AsMemory(_queryStart, QueryLength);
                        continue;
                    }

                    if (!outputFull)
                    {
                        break;
                    }

                    await AppendOnlyFileDurableAsync().ConfigureAwait(false);
                    if ((await output.FlushAsync().ConfigureAwait(false)).IsCompleted)
                    {
                        return;
                    }
                }
            }

            await AppendOnlyFileDurableAsync().ConfigureAwait(false);
            if (protocolError is not null)
            {
                await ReplyProtocolErrorAsync(protocolError, output).ConfigureAwait(false);
                return;
            }

            if (inPlace)
            {
                // Keep the unparsed tail (the start of a command) in our buffer, then release the read.
                if (position < source.Length && !_session.CloseRequested)
                {
                    Append(source.Span[position..]);
                }

                input.AdvanceTo(buffer.End);
            }
            else
            {
                Consume(position);
            }

            _session.QueryBufferLength = QueryLength;
            if (QueryLength > _server.Config.ClientQueryBufferLimit)
            {
                // Redis closes such a client without a reply ("Closing client that reached max query buffer length").
                _server.Logger.LogWarning("Closing client id={Id} addr={Address}: it reached the query buffer limit (client-query-buffer-limit).", _session.Id, _session.Address);
                await output.FlushAsync().ConfigureAwait(false);
                return;
            }

            // Replies to commands sent before a half-close are still written, as Redis does.
            _subscriber.DrainTo(output);
            var flush = await output.FlushAsync().ConfigureAwait(false);
            _subscriber.Flushed();
            if (_session.CloseRequested || inputCompleted || flush.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Parses and runs batches until the source holds no complete command; returns the bytes used.</summary>
    private int ParseAndExecute(ReadOnlyMemory<byte> source, out string? protocolError, out bool outputFull, out bool hop)
    {
        protocolError = null;
        outputFull = false;
        hop = false;
        int position = 0;
        while (true)
        {
            int batchStart = position;
            BeginBatch();

            // Redis parses each command after running the one before it, so AUTH (or HELLO … AUTH)
            // lifts the unauthenticated limits for the next command in the same read: while not
            // authenticated, run one command at a time.
            bool authenticated = _session.Authenticated;
            var limits = new RequestLimits(_server.Config.ProtoMaxBulkLen, authenticated);
            bool more = false;
            while (true)
            {
                int firstArg = _progress.InProgress ? _progress.FirstArg : _args.Count;
                var parsed = RespRequestParser.Parse(source.Span[position..], limits, _args, _inline, ref _progress);
                if (parsed.Status == RequestStatus.Complete)
                {
                    // Multibulk ranges are relative to where the command started; inline ones to the scratch buffer.
                    var commandSource = parsed.IsInline ? _inline.Array : source[position..];
                    position += parsed.Consumed;
                    _batch.Add(new PendingCommand(commandSource, firstArg, _args.Count - firstArg, position));
                    if (_batch.Count == MaxBatchCommands || !authenticated)
                    {
                        more = true;
                        break;
                    }
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
                        _needed = parsed.BytesNeeded;
                    }

                    break;
                }
            }

            if (_batch.Count == 0)
            {
                return position;
            }

            int executed = ExecuteBatch();
            if (_hopRequested)
            {
                // Parsed again after the hop, from the script command on.
                _hopRequested = false;
                hop = true;
                protocolError = null;
                _needed = 0;
                if (_progress.InProgress)
                {
                    _args.Truncate(_progress.FirstArg);
                    _progress.Reset();
                }

                return executed > 0 ? _batch[executed - 1].End : batchStart;
            }

            if (_session.CloseRequested)
            {
                // QUIT or CLIENT KILL: what follows is not run (nor answered, even a protocol error).
                protocolError = null;
                return _batch[executed - 1].End;
            }

            if (_context.BlockedOn is not null)
            {
                // The rest is parsed again once the client is served (RunAsync waits for it).
                protocolError = null;
                _needed = 0;
                if (_progress.InProgress)
                {
                    _args.Truncate(_progress.FirstArg);
                    _progress.Reset();
                }

                return _batch[executed - 1].End;
            }

            if (executed < _batch.Count || _reply.BytesWritten - _batchStartBytes > FlushAfterReplyBytes)
            {
                // Stopped early: a command (RESET) made the client unauthenticated, so what follows
                // must be parsed again under the unauthenticated limits as Redis would have; or the
                // replies must be flushed first. Either way parse again after the last command run.
                position = _batch[executed - 1].End;
                protocolError = null;
                _needed = 0;
                if (_progress.InProgress)
                {
                    _args.Truncate(_progress.FirstArg);
                    _progress.Reset();
                }

                if (_reply.BytesWritten - _batchStartBytes > FlushAfterReplyBytes)
                {
                    outputFull = true;
                    return position;
                }

                continue;
            }

            if (!more || protocolError is not null)
            {
                return position;
            }
        }
    }

    private void BeginBatch()
    {
        _batch.Clear();
        _inline.Clear();
        if (_progress.InProgress)
        {
            // The partly received command's ranges survive the batch: move them to the front once.
            _args.RemoveBefore(_progress.FirstArg);
            _progress.FirstArg = 0;
        }
        else
        {
            _args.Clear();
        }
    }

    /// <summary>Runs the batch under the keyspace lock; returns how many commands ran.</summary>
    private int ExecuteBatch()
    {
        var context = _context;
        var session = _session;
        var output = _out;
        bool wasAuthenticated = session.Authenticated;
        long replyLimit = _reply.BytesWritten + FlushAfterReplyBytes;
        _batchStartBytes = _reply.BytesWritten;
        int executed = 0;
        var tracking = _server.Tracking;
        bool onSocketThread = t_onAcceptLoop || !Thread.CurrentThread.IsThreadPoolThread;
        if (!EnterKeyspace())
        {
            // A busy script held the lock: its thread ran the batch (allow_busy commands, -BUSY for the rest).
            return _executedWhileBusy;
        }

        var propagation = _server.Keyspace.Propagation;
        lock (_server.Keyspace.Lock)
        {
            _server.Keyspace.Lock.Exit(); // entered by EnterKeyspaceOrAnswerBusy; the lock statement holds it now
            long units = propagation.UnitsWritten;
            _subscriber.BeginDirect(output);
            _server.PubSub.BeginBatch();
            tracking.Current = session;
            foreach (var command in _batch)
            {
                context.SetArguments(command.Source, _args, command.FirstArg, command.ArgCount);
                if (onSocketThread && MayRunScript(context))
                {
                    _hopRequested = true;
                    break;
                }

                _reply.Protocol = session.Protocol;
                bool suppressed = (session.ReplyMode == ReplyMode.Off || _skipReply) && !RepliesDespiteReplyMode(context);
                if (suppressed)
                {
                    _reply.Output = _discard;
                }

                Run(context);
                executed++;

                // Redis's handleClientsBlockedOnKeys after every command: keys this one made ready
                // go to their oldest waiters now, each reply into its own (idle) connection's buffer.
                var blocking = _server.Keyspace.Blocking;
                if (blocking.HasReady)
                {
                    blocking.ServeReady(context.Now);
                }

                if (session.Tracking is not null)
                {
                    // Invalidations for this client that waited for its reply; CLIENT CACHING's one-command scope.
                    tracking.AfterCommand(context);
                }

                if (suppressed)
                {
                    _reply.Output = output;
                    _discard.Reset();
                }

                // Redis (resetClient): the skip lasts one command; CLIENT REPLY SKIP arms it for the next.
                _skipReply = false;
                if (session.ReplyMode == ReplyMode.SkipNext)
                {
                    _skipReply = true;
                    session.ReplyMode = ReplyMode.On;
                }

                if (session.CloseRequested || (wasAuthenticated && !session.Authenticated) || _reply.BytesWritten > replyLimit || context.BlockedOn is not null)
                {
                    break;
                }
            }

            // Redis announces BCAST keys in beforeSleep, once per event-loop turn: here, once per batch.
            if (tracking.EndBatchPending)
            {
                tracking.EndBatch();
            }

            tracking.Current = null;
            _subscriber.EndDirect();
            _server.PubSub.EndBatch();
            _server.Keyspace.FreeReleased();
            if (propagation.UnitsWritten != units)
            {
                _aofOffset = _server.Aof.Appended;
            }
        }

        if (_aofOffset > 0 && _server.Config.AppendFsync != "always")
        {
            // everysec / no: the writer thread takes it from here; replies do not wait.
            _aofOffset = 0;
            _server.Aof.Wake();
        }

        return executed;
    }

    #region Append-only file: replies wait for the fsync under appendfsync always

    // The AOF offset this connection's last batch appended up to; its replies leave once that is on disk.
    private long _aofOffset;

    /// <summary>
    /// appendfsync always: the batch's writes are appended (under the lock); before its replies are
    /// flushed they must be durable. The wait is on the writer's fsync, which covers every connection
    /// waiting at that moment (group commit), and never holds the keyspace lock.
    /// </summary>
    private ValueTask AppendOnlyFileDurableAsync()
    {
        long offset = _aofOffset;
        if (offset == 0)
        {
            return default;
        }

        _aofOffset = 0;
        return _server.Aof.WaitDurableAsync(offset);
    }

    #endregion

    #region Scripts: off the socket threads, and -BUSY while one runs past busy-reply-threshold

    // The batch stopped before a command that may run a script, to go on from a thread-pool thread.
    private bool _hopRequested;

    // Set while the accept loop starts a connection (its first batch runs there): a script in that batch
    // must hop too, or no client could connect until it ends. The loop is resumed on a socket thread or,
    // now and then, on a thread-pool thread, so the thread's kind alone does not tell.
    [ThreadStatic]
    private static bool t_onAcceptLoop;

    /// <summary>True while the accept loop's thread starts a connection (see <see cref="KvServer"/>'s accept loop).</summary>
    internal static bool OnAcceptLoop
    {
        get => t_onAcceptLoop;
        set => t_onAcceptLoop = value;
    }

    // How many commands of the batch a busy script's thread ran for us.
    private int _executedWhileBusy;

    private Action? _runWhileBusy;

    /// <summary>
    /// Whether the command may run Lua (EVAL…, FCALL…, FUNCTION, or EXEC of a transaction holding one):
    /// such a command must not run on a socket engine thread. Names are checked only when they start
    /// with E or F, so other commands pay one byte comparison.
    /// </summary>
    private bool MayRunScript(CommandContext context)
    {
        var name = context.Arg(0);
        if (name.IsEmpty || (name[0] | 0x20) is not ((byte)'e' or (byte)'f'))
        {
            return false;
        }

        var definition = _server.Commands.Find(name);
        if (definition is null)
        {
            return false;
        }

        return definition.RunsScripts || (TransactionCommands.IsExec(definition) && _session.Transaction is { RunsScripts: true });
    }

    /// <summary>
    /// Takes the keyspace lock, waiting as Redis's clients wait while a command runs. While a script holds
    /// it past busy-reply-threshold, the batch is handed to the script's thread instead (Redis's
    /// processEventsWhileBlocked: allow_busy commands such as SCRIPT KILL run, the rest get -BUSY) and
    /// false is returned.
    /// </summary>
    private bool EnterKeyspace()
    {
        var gate = _server.Keyspace.Lock;
        if (gate.TryEnter())
        {
            return true;
        }

        var scripting = _server.Scripting;
        while (true)
        {
            if (scripting.BusyError() is not null && scripting.WhileBusy.TryRun(_runWhileBusy ??= RunBatchWhileBusy))
            {
                return false;
            }

            if (gate.TryEnter(20))
            {
                return true;
            }
        }
    }

    // On the busy script's thread, under the lock it holds; this connection waits meanwhile.
    private void RunBatchWhileBusy()
    {
        var context = _context;
        context.BusyError = _server.Scripting.BusyError();
        int executed = 0;
        try
        {
            foreach (var command in _batch)
            {
                context.SetArguments(command.Source, _args, command.FirstArg, command.ArgCount);
                _reply.Protocol = _session.Protocol;
                Run(context);
                executed++;
                if (_session.CloseRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            context.BusyError = null;
            _executedWhileBusy = executed;
        }
    }

    #endregion

    public Waiter CreateWaiter(CommandDefinition command, int db, Type valueType)
    {
        _servingOutput ??= new ArrayBufferWriter<byte>(256);
        _servingContext ??= new CommandContext(_server, _session, new RespWriter(_servingOutput));
        _servingOutput.ResetWrittenCount();
        return new Waiter(_session, _servingContext, _servingOutput, command, db, valueType);
    }

    /// <summary>
    /// Flushes, then waits for the waiter to be served, time out or be unblocked, reading whatever
    /// the client sends meanwhile into the query buffer. A client that goes away is forgotten.
    /// Returns whether to go on, and whether the peer closed its side meanwhile.
    /// </summary>
    private async Task<(bool Alive, bool InputCompleted)> WaitWhileBlockedAsync(Waiter waiter, PipeReader input, ReplyBuffer output)
    {
        bool inputCompleted = false;
        try
        {
            await AppendOnlyFileDurableAsync().ConfigureAwait(false);
            if ((await output.FlushAsync().ConfigureAwait(false)).IsCompleted)
            {
                return (false, true);
            }

            while (waiter.Outcome == WaitOutcome.Waiting && !waiter.Completion.IsCompleted)
            {
                var pending = input.ReadAsync();
                ReadResult read;
                if (pending.IsCompleted)
                {
                    read = pending.Result;
                }
                else
                {
                    var readTask = pending.AsTask();
                    if (await Task.WhenAny(waiter.Completion, readTask).ConfigureAwait(false) != readTask)
                    {
                        input.CancelPendingRead();
                    }

                    read = await readTask.ConfigureAwait(false);
                }

                // Redis keeps reading a blocked client's socket; commands queue in the query buffer.
                Append(read.Buffer);
                input.AdvanceTo(read.Buffer.End);
                if (_subscriber.HasPending && !await FlushPushesAsync(output).ConfigureAwait(false))
                {
                    break;
                }

                if (read.IsCompleted)
                {
                    inputCompleted = true;
                    break;
                }
            }
        }
        finally
        {
            if (waiter.Outcome == WaitOutcome.Waiting)
            {
                _server.UnderKeyspaceLock(() => _server.Keyspace.Blocking.Abandon(waiter));
            }
        }

        if (waiter.Outcome == WaitOutcome.Abandoned)
        {
            return (false, true);
        }

        // appendfsync always: the effects of serving this client (the LPOP of its BLPOP, the XCLAIMs of its
        // XREADGROUP) were appended by another connection's batch; like that connection's own replies, this
        // one waits for the group commit that makes them durable.
        if (waiter.DurableOffset > 0 && _server.Config.AppendFsync == "always")
        {
            await _server.Aof.WaitDurableAsync(waiter.DurableOffset).ConfigureAwait(false);
        }

        var reply = _servingOutput!.WrittenSpan;
        if (_session.ReplyMode == ReplyMode.On && reply.Length > 0)
        {
            output.Write(reply);
        }

        _servingOutput.ResetWrittenCount();
        return (true, inputCompleted);
    }

    private void Run(CommandContext context)
    {
        long written = _reply.BytesWritten;
        try
        {
            CommandDispatcher.Execute(context);
        }
        catch (Exception ex)
        {
            // A bug in one command must not take the server (or the keyspace lock) with it.
            _server.Logger.LogError(ex, "Command '{Command}' of client id={Id} addr={Address} failed.", context.ArgString(0), _session.Id, _session.Address);
            if (_reply.BytesWritten == written)
            {
                _reply.Error("ERR internal error");
            }
            else
            {
                // Part of a reply is already written and cannot be taken back; anything more would
                // desynchronise the client, so close the connection after what is written.
                _session.CloseRequested = true;
            }
        }
    }

    // Under CLIENT REPLY OFF, Redis still answers CLIENT REPLY ON and RESET (they clear the flag
    // before replying); under SKIP only CLIENT REPLY ON.
    private bool RepliesDespiteReplyMode(CommandContext context)
    {
        if (context.ArgCount == 3 && context.ArgIs(0, "client"u8) && context.ArgIs(1, "reply"u8) && context.ArgIs(2, "on"u8))
        {
            // Unless subscribed mode refuses it before it runs (then its error stays silent too).
            return !(_session.IsPubSub && _session.Protocol == 2);
        }

        if (PubSubCommands.RepliesAsPushes(_server.Commands.Find(context.Arg(0))))
        {
            return true;
        }

        return !_skipReply && context.ArgCount == 1 && context.ArgIs(0, "reset"u8);
    }

    /// <summary>Sends the pub/sub messages queued for this client; false once the transport is gone.</summary>
    private async ValueTask<bool> FlushPushesAsync(ReplyBuffer output)
    {
        _subscriber.DrainTo(output);
        var flush = await output.FlushAsync().ConfigureAwait(false);
        _subscriber.Flushed();
        return !flush.IsCompleted && !_session.CloseRequested;
    }

    private async Task ReplyProtocolErrorAsync(string error, ReplyBuffer output)
    {
        _server.Logger.LogDebug("Protocol error from client id={Id} addr={Address}: {Error}", _session.Id, _session.Address, error);

        // Redis answers the protocol error (unless replies are off), then closes the connection once
        // it is written. The text quotes a raw byte in "expected '$', got 'x'": write it as Latin-1.
        if (_session.ReplyMode != ReplyMode.Off && !_skipReply)
        {
            _reply.Error(Encoding.Latin1.GetBytes(error));
        }

        await output.FlushAsync().ConfigureAwait(false);
    }

    private void Append(in ReadOnlySequence<byte> data)
    {
        EnsureRoom(data.Length);
        data.CopyTo(_query.AsSpan(_queryEnd));
        _queryEnd += (int)data.Length;
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        EnsureRoom(data.Length);
        data.CopyTo(_query.AsSpan(_queryEnd));
        _queryEnd += data.Length;
    }

    private void EnsureRoom(long extra)
    {
        if (_queryEnd + extra <= _query.Length)
        {
            return;
        }

        // Ranges of the partial command are relative to its start, so moving it is safe.
        long wanted = QueryLength + extra;
        if (wanted > _query.Length || _queryStart == 0)
        {
            long size = Math.Max(wanted, (long)_query.Length * 2);
            var bigger = new byte[Math.Min(size, Array.MaxLength)];
            _query.AsSpan(_queryStart, QueryLength).CopyTo(bigger);
            _query = bigger;
        }
        else
        {
            _query.AsSpan(_queryStart, QueryLength).CopyTo(_query);
        }

        _queryEnd = QueryLength;
        _queryStart = 0;
    }

    private void Consume(int count)
    {
        _queryStart += count;
        if (_queryStart == _queryEnd)
        {
            _queryStart = 0;
            _queryEnd = 0;
            _needed = 0;
            if (_query.Length > QueryBufferKeep)
            {
                _query = new byte[4096];
            }
        }
    }

    private readonly record struct PendingCommand(ReadOnlyMemory<byte> Source, int FirstArg, int ArgCount, int End);

    /// <summary>Swallows the replies of commands run while CLIENT REPLY OFF or SKIP is in force.</summary>
    private sealed class DiscardBufferWriter : IBufferWriter<byte>
    {
        private byte[] _buffer = new byte[256];

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Ensure(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Ensure(sizeHint).Span;

        public void Reset()
        {
            if (_buffer.Length > 64 * 1024)
            {
                _buffer = new byte[256];
            }
        }

        private Memory<byte> Ensure(int sizeHint)
        {
            if (_buffer.Length < sizeHint)
            {
                _buffer = new byte[sizeHint];
            }

            return _buffer;
        }
    }
}
