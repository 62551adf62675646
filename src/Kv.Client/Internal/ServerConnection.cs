using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Reflection;
using Kv.Protocol;

namespace Kv.Client.Internal;

/// <summary>Receives what a subscriber connection reads: pushes and pub/sub confirmations.</summary>
internal interface IPushSink
{
    void OnPush(in KvResult push);
}

/// <summary>
/// One socket to the server after its handshake: a writer loop that takes every queued command,
/// encodes them into the pipe and flushes once, and a reader loop that completes the oldest
/// waiting command with each reply.
/// </summary>
internal sealed class ServerConnection : IAsyncDisposable
{
    // A bulk string reply larger than this that has not fully arrived is read into its own array as
    // it comes, rather than buffered whole in the pipe first.
    private const int StreamedBulkThreshold = 64 * 1024;

    // Flush mid-batch past this many bytes so a huge batch does not sit in memory before sending.
    private const int FlushThreshold = 256 * 1024;

    private static readonly byte[] LibraryVersion = System.Text.Encoding.ASCII.GetBytes(
        typeof(ServerConnection).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0");

    private readonly Socket? _socket;
    private readonly IDuplexPipe _pipe;
    private readonly IAsyncDisposable _owner;
    private readonly KvClientOptions _options;
    private readonly InflightQueue _inflight = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly Tracking? _tracking;
    private readonly bool _invalidationTarget;
    private IPushSink? _sink;
    private Exception? _fault;
    private long _needed;

    // Lease-reading commands written and not yet answered: while zero, the reader never looks at
    // which command a reply is for before parsing it.
    private int _leasesPending;

    // The buffer a large bulk string is being read into as it arrives (pooled for a lease).
    private byte[]? _bulk;
    private int _bulkLength;
    private int _bulkFilled;
    private bool _bulkPooled;

    private ServerConnection(Socket? socket, IDuplexPipe pipe, IAsyncDisposable owner, KvClientOptions options, Tracking? tracking, bool invalidationTarget)
    {
        _socket = socket;
        _pipe = pipe;
        _owner = owner;
        _options = options;
        _tracking = tracking;
        _invalidationTarget = invalidationTarget;
    }

    /// <summary>The RESP version agreed in the handshake.</summary>
    public int Protocol { get; private set; } = 2;

    /// <summary>The server's id for this connection (CLIENT ID), asked for by an invalidation target only; else 0.</summary>
    public long ClientId { get; private set; }

    /// <summary>For a tracking connection that redirects (RESP2), which subscriber connection it redirects to; else <see cref="Tracking.NoRedirect"/>.</summary>
    public int TrackingEpoch { get; private set; } = Tracking.NoRedirect;

    public InflightQueue Inflight => _inflight;

    /// <summary>
    /// Connects and runs the handshake: HELLO (or AUTH for RESP2 servers), SELECT, CLIENT
    /// SETNAME/SETINFO; then, with <paramref name="tracking"/>, CLIENT TRACKING ON, and for an
    /// <paramref name="invalidationTarget"/> (the subscriber connection of a tracking client) CLIENT
    /// ID and, in RESP2, SUBSCRIBE __redis__:invalidate.
    /// </summary>
    public static async Task<ServerConnection> OpenAsync(KvClientOptions options, Tracking? tracking, bool invalidationTarget, CancellationToken cancellationToken)
    {
        var (socket, pipe, owner) = await Transport.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        var connection = new ServerConnection(socket, pipe, owner, options, tracking, invalidationTarget);
        try
        {
            using var registration = cancellationToken.UnsafeRegister(static s => ((ServerConnection)s!).Close(null), connection);
            await connection.HandshakeAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception ex) when (ex is IOException or KvConnectionException && !cancellationToken.IsCancellationRequested)
        {
            // A reset right after connecting is how servers refuse a client that is not speaking
            // their transport: say which setting to look at.
            await connection.DisposeAsync().ConfigureAwait(false);
            string hint = !options.UseTls
                ? "If the server expects TLS on this port, connect with rediss:// (KvClientOptions.UseTls)."
                : options.TlsClientCertificate is null
                    ? "A server that requires client certificates (redis-server's default, tls-auth-clients yes) does this after the TLS handshake: set KvClientOptions.TlsClientCertificate, or tls-auth-clients no on the server."
                    : "Check that the server accepts KvClientOptions.TlsClientCertificate (issued by its tls-ca-cert-file).";
            throw new KvConnectionException($"The server at {options.EndPointText} closed the connection during the handshake{(ex is IOException ? $" ({ex.Message.TrimEnd('.')})" : "")}. {hint}", ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs the writer and reader loops until the connection fails or is closed; returns why it ended.</summary>
    public async Task<Exception> RunAsync(CommandQueue queue, IPushSink? sink)
    {
        _sink = sink;
        var reader = Task.Run(ReadLoopAsync);
        var writer = WriteLoopAsync(queue);
        await Task.WhenAny(reader, writer).ConfigureAwait(false);
        Close(null);
        queue.Wake();
        try
        {
            await Task.WhenAll(reader, writer).ConfigureAwait(false);
        }
        catch
        {
            // The first fault is kept in _fault; the other loop fails as a consequence.
        }

        return _fault ?? new KvConnectionException($"The connection to {_options.EndPointText} was closed.");
    }

    /// <summary>Ends the loops; <paramref name="reason"/> becomes the fault reported for the commands that were waiting.</summary>
    public void Close(Exception? reason)
    {
        if (reason is not null)
        {
            Interlocked.CompareExchange(ref _fault, reason, null);
        }

        if (!_closing.IsCancellationRequested)
        {
            try
            {
                _closing.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            _pipe.Input.CancelPendingRead();
            _pipe.Output.CancelPendingFlush();
            try
            {
                _socket?.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Close(null);
        try
        {
            await _owner.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
        }

        _socket?.Dispose();
        _closing.Dispose();
    }

    private async Task WriteLoopAsync(CommandQueue queue)
    {
        var output = _pipe.Output;
        var batch = new Queue<Operation>(64);
        var written = new List<Operation>(64);
        var unreplied = new List<Operation>();
        try
        {
            while (true)
            {
                await queue.WaitAsync().ConfigureAwait(false);
                if (_closing.IsCancellationRequested)
                {
                    return;
                }

                queue.TakeAll(ref batch);
                long pending = 0;
                while (batch.TryDequeue(out var op))
                {
                    long before = output.UnflushedBytes;
                    if (op is OperationGroup group)
                    {
                        // Sent whole, or not at all when a member was cancelled or timed out while queued.
                        if (!group.TryStart())
                        {
                            continue;
                        }

                        foreach (var member in group.Members)
                        {
                            Write(member, output, written, unreplied);
                        }
                    }
                    else if (!op.IsCompleted)
                    {
                        // (A command cancelled or timed out while queued is never sent.)
                        Write(op, output, written, unreplied);
                    }

                    pending += output.UnflushedBytes - before;
                    if (pending >= FlushThreshold)
                    {
                        await FlushAsync(output, written, unreplied).ConfigureAwait(false);
                        pending = 0;
                    }
                }

                await FlushAsync(output, written, unreplied).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            var fault = new KvConnectionException($"Writing to {_options.EndPointText} failed: {ex.Message}", ex);
            Close(fault);

            // Commands taken from the queue but not sent: they fail with the connection.
            foreach (var op in batch)
            {
                op.TryFail(fault);
            }

            foreach (var op in written)
            {
                op.TryFail(fault);
            }

            throw;
        }
    }

    private void Write(Operation op, PipeWriter output, List<Operation> written, List<Operation> unreplied)
    {
        if (op.LeasesReply)
        {
            Interlocked.Increment(ref _leasesPending);
        }

        op.Write(output);
        (op.ExpectsReply ? written : unreplied).Add(op);
    }

    private async ValueTask FlushAsync(PipeWriter output, List<Operation> written, List<Operation> unreplied)
    {
        // The waiting commands are registered before their bytes leave, so no reply can beat them.
        _inflight.EnqueueRange(written);
        written.Clear();
        var result = await output.FlushAsync().ConfigureAwait(false);
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new IOException("the connection is closing");
        }

        foreach (var op in unreplied)
        {
            op.TryComplete(default);
        }

        unreplied.Clear();
    }

    private async Task ReadLoopAsync()
    {
        var input = _pipe.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    return;
                }

                var buffer = result.Buffer;
                if (buffer.Length >= _needed)
                {
                    while (TryTakeFrame(ref buffer, out var reply))
                    {
                        Dispatch(reply);
                    }
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    throw new KvConnectionException(buffer.IsEmpty && _bulk is null
                        ? $"The server at {_options.EndPointText} closed the connection."
                        : $"The server at {_options.EndPointText} closed the connection in the middle of a reply.");
                }
            }
        }
        catch (Exception ex) when (!_closing.IsCancellationRequested || ex is KvProtocolException)
        {
            Close(ex switch
            {
                KvConnectionException => ex,
                KvProtocolException => new KvConnectionException($"{ex.Message} The server at {_options.EndPointText} sent bytes that are not RESP, so the connection was closed; check that the address points at a Redis-compatible server (not TLS when rediss:// is not used).", ex),
                _ => new KvConnectionException($"Reading from {_options.EndPointText} failed: {ex.Message}", ex),
            });
            throw;
        }
    }

    private void Dispatch(in KvResult reply)
    {
        if (_sink is not null)
        {
            _sink.OnPush(reply);
            return;
        }

        // Out-of-band data (client tracking invalidations) is not an answer to a command. Handled
        // here, between replies, so a near cache sees an invalidation before any later reply.
        if (reply.Type == KvResultType.Push)
        {
            _tracking?.Invalidations.OnPush(reply);
            return;
        }

        if (!_inflight.TryDequeue(out var op))
        {
            throw new KvProtocolException($"Protocol error: the server sent a reply ({Describe(reply)}) when no command was waiting for one.");
        }

        if (op.LeasesReply)
        {
            Interlocked.Decrement(ref _leasesPending);
        }

        if (!op.TryComplete(reply))
        {
            // Timed out or cancelled before the reply came: nobody will dispose the lease.
            reply.Lease?.Dispose();
        }
    }

    private static string Describe(in KvResult reply)
    {
        string text = reply.ToString();
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    /// <summary>Takes one complete frame off the front of <paramref name="buffer"/>; false when more bytes are needed (then <see cref="_needed"/> says how many).</summary>
    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out KvResult reply)
    {
        reply = default;
        if (buffer.IsEmpty)
        {
            _needed = 0;
            return false;
        }

        var first = buffer.FirstSpan;
        if (_bulk is not null)
        {
            return TryTakeStreamedBulk(ref buffer, out reply, _bulkPooled);
        }

        if (first[0] == (byte)'$' && Volatile.Read(ref _leasesPending) > 0 && _inflight.TryPeek(out var head) && head.LeasesReply)
        {
            return TryTakeStreamedBulk(ref buffer, out reply, pooled: true);
        }

        var scan = RespFrameScanner.Scan(first);
        if (scan.Status == RespFrameStatus.Incomplete && scan.Length > StreamedBulkThreshold && first[0] == (byte)'$')
        {
            return TryTakeStreamedBulk(ref buffer, out reply, pooled: false);
        }

        if (scan.Status == RespFrameStatus.Complete)
        {
            reply = ReplyParser.Parse(first[..(int)scan.Length]);
            buffer = buffer.Slice(scan.Length);
            _needed = 0;
            return true;
        }

        if (scan.Status == RespFrameStatus.Invalid)
        {
            throw new KvProtocolException(scan.Error!);
        }

        if (buffer.IsSingleSegment || scan.Length > buffer.Length)
        {
            _needed = scan.Length;
            return false;
        }

        // The frame spans segments: scan and parse a contiguous copy.
        int length = (int)Math.Min(buffer.Length, int.MaxValue);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(rented);
            var flat = rented.AsSpan(0, length);
            scan = RespFrameScanner.Scan(flat);
            switch (scan.Status)
            {
                case RespFrameStatus.Complete:
                    reply = ReplyParser.Parse(flat[..(int)scan.Length]);
                    buffer = buffer.Slice(scan.Length);
                    _needed = 0;
                    return true;
                case RespFrameStatus.Invalid:
                    throw new KvProtocolException(scan.Error!);
                default:
                    _needed = scan.Length;
                    return false;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Takes a bulk string, copying its body once from the pipe, as it arrives, into an array of its
    /// own: rented for a lease-reading command (<paramref name="pooled"/>), else new. The pipe never
    /// holds the whole value; buffered whole, a large value passes through a few hundred pipe
    /// segments per megabyte that the pool cannot keep, and is then copied again.
    /// </summary>
    private bool TryTakeStreamedBulk(ref ReadOnlySequence<byte> buffer, out KvResult reply, bool pooled)
    {
        reply = default;
        if (_bulk is null)
        {
            // "$" + up to 19 digits (or "-1") + CRLF; the header may itself span segments.
            Span<byte> header = stackalloc byte[24];
            int available = (int)Math.Min(buffer.Length, header.Length);
            buffer.Slice(0, available).CopyTo(header);
            int lineEnd = header[..available].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                if (available < header.Length)
                {
                    _needed = buffer.Length + 1;
                    return false;
                }

                throw new KvProtocolException("Protocol error: a bulk string length line longer than 21 bytes.");
            }

            if (!RespNumber.TryParseInt64(header[1..lineEnd], out long length) || length < -1 || length > Array.MaxLength)
            {
                throw new KvProtocolException($"Protocol error: invalid bulk string length '{System.Text.Encoding.ASCII.GetString(header[1..lineEnd])}'.");
            }

            buffer = buffer.Slice(lineEnd + 2);
            if (length == -1)
            {
                _needed = 0;
                return true;
            }

            _bulk = pooled ? ArrayPool<byte>.Shared.Rent((int)length) : GC.AllocateUninitializedArray<byte>((int)length);
            _bulkLength = (int)length;
            _bulkFilled = 0;
            _bulkPooled = pooled;
        }

        int take = (int)Math.Min(buffer.Length, _bulkLength - _bulkFilled);
        buffer.Slice(0, take).CopyTo(_bulk.AsSpan(_bulkFilled));
        _bulkFilled += take;
        buffer = buffer.Slice(take);
        if (_bulkFilled < _bulkLength || buffer.Length < 2)
        {
            _needed = _bulkFilled < _bulkLength ? 1 : 2;
            return false;
        }

        Span<byte> crlf = stackalloc byte[2];
        buffer.Slice(0, 2).CopyTo(crlf);
        if (!crlf.SequenceEqual("\r\n"u8))
        {
            throw new KvProtocolException("Protocol error: a bulk string not followed by CRLF.");
        }

        buffer = buffer.Slice(2);
        reply = _bulkPooled
            ? new KvResult(KvResultType.BulkString, new KvLease(_bulk, _bulkLength))
            : new KvResult(KvResultType.BulkString, _bulk);
        _bulk = null;
        _needed = 0;
        return true;
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        var output = _pipe.Output;
        bool authenticated = false;
        if (_options.Protocol == 3)
        {
            var hello = new List<KvValue> { "HELLO"u8.ToArray(), 3 };
            if (_options.Password is not null)
            {
                hello.Add("AUTH");
                hello.Add(_options.User ?? "default");
                hello.Add(_options.Password);
            }

            if (_options.ClientName is not null)
            {
                hello.Add("SETNAME");
                hello.Add(_options.ClientName);
            }

            WriteCommand(output, hello);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            var reply = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            if (reply.IsError)
            {
                string message = reply.AsString()!;

                // Servers before Redis 6 do not know HELLO; some refuse RESP3 (NOPROTO): both speak RESP2.
                bool unsupported = message.StartsWith("NOPROTO", StringComparison.Ordinal)
                    || message.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase);
                if (!unsupported)
                {
                    throw Refused("HELLO", message);
                }
            }
            else
            {
                Protocol = 3;
                authenticated = true;
            }
        }

        // With RESP2 this waits for the subscriber connection the notifications go to.
        List<KvValue>? tracking = null;
        if (_tracking is not null)
        {
            (tracking, int epoch) = await _tracking.HandshakeCommandAsync(Protocol, cancellationToken).ConfigureAwait(false);
            TrackingEpoch = epoch;
        }

        var commands = new List<(string Name, bool Required)>();
        if (!authenticated)
        {
            if (_options.Password is not null)
            {
                WriteCommand(output, _options.User is null ? ["AUTH", _options.Password] : ["AUTH", _options.User, _options.Password]);
                commands.Add(("AUTH", true));
            }

            if (_options.ClientName is not null)
            {
                WriteCommand(output, ["CLIENT", "SETNAME", _options.ClientName]);
                commands.Add(("CLIENT SETNAME", true));
            }
        }

        if (_options.Database != 0)
        {
            WriteCommand(output, ["SELECT", _options.Database]);
            commands.Add(("SELECT", true));
        }

        // Redis 7.2+ shows these in CLIENT LIST; older servers answer an error, which is fine.
        WriteCommand(output, ["CLIENT", "SETINFO", "LIB-NAME", "Kv.Client"]);
        commands.Add(("CLIENT SETINFO", false));
        WriteCommand(output, ["CLIENT", "SETINFO", "LIB-VER", LibraryVersion]);
        commands.Add(("CLIENT SETINFO", false));
        if (_invalidationTarget)
        {
            WriteCommand(output, ["CLIENT", "ID"]);
            commands.Add(("CLIENT ID", true));

            // A RESP2 redirect target gets invalidations only while subscribed (as messages on this
            // channel); RESP3 gets them as pushes. Subscribed before the id is handed out, so none is lost.
            if (Protocol == 2)
            {
                WriteCommand(output, ["SUBSCRIBE", "__redis__:invalidate"]);
                commands.Add(("SUBSCRIBE", true));
            }
        }

        // Last, so no notification can arrive before the handshake's replies are read.
        if (tracking is not null)
        {
            WriteCommand(output, tracking);
            commands.Add(("CLIENT TRACKING", true));
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (name, required) in commands)
        {
            var reply = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            if (reply.IsError && required)
            {
                throw Refused(name, reply.AsString()!);
            }

            if (name == "CLIENT ID")
            {
                ClientId = reply.Number;
            }
        }
    }

    private KvServerException Refused(string command, string message)
    {
        string hint = KvServerException.PrefixOf(message) switch
        {
            "NOAUTH" => " The server requires a password: put it in the connection string (redis://:password@host) or KvClientOptions.Password.",
            "WRONGPASS" => " Check the user name and password in the connection string or KvClientOptions.",
            _ when command == "SELECT" => " Check the database number (the server's 'databases' setting limits it).",
            _ when command == "CLIENT TRACKING" => " KvClientOptions.Tracking needs a server with client-side caching (Redis 6+); check the tracking options, or set Tracking to null.",
            _ => "",
        };
        return new KvServerException(message + hint, command);
    }

    private static void WriteCommand(PipeWriter output, List<KvValue> args)
    {
        KvValue.WriteHeader(output, (byte)'*', args.Count);
        foreach (var arg in args)
        {
            arg.WriteBulk(output);
        }
    }

    private async ValueTask<KvResult> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var input = _pipe.Input;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryTakeFrame(ref buffer, out var reply))
            {
                input.AdvanceTo(buffer.Start);
                return reply;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new KvConnectionException($"The server at {_options.EndPointText} closed the connection during the handshake.");
            }
        }
    }
}
