using System.Diagnostics;
using Kv.Client.Internal;

namespace Kv.Client;

/// <summary>
/// A client for kv-server, Redis 6+, Valkey and Garnet. Create one per application and share it:
/// it is safe for concurrent use, pipelines the commands of all callers over one connection,
/// reconnects by itself, and keeps blocking commands, WATCH transactions and subscriptions on
/// connections of their own so they never stall the others.
/// </summary>
public sealed partial class KvClient : IAsyncDisposable
{
    private readonly KvClientOptions _options;
    private readonly Multiplexer _main;
    private readonly DedicatedConnections _dedicated;
    private readonly Lazy<Subscriber> _subscriber;
    private readonly Invalidations? _invalidations;

    /// <summary>
    /// Creates a client that connects in the background: commands issued before the connection is
    /// up wait for it, up to <see cref="KvClientOptions.CommandTimeout"/>. Prefer
    /// <see cref="ConnectAsync(KvClientOptions, CancellationToken)"/> to find a wrong address at once.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public KvClient(KvClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        Tracking? tracking = null;
        if (_options.Tracking is not null)
        {
            _invalidations = new Invalidations(ReportHandlerFailure);
            tracking = new Tracking(_options.Tracking, _invalidations, () => _subscriber!.Value);
        }

        _main = new Multiplexer(_options, reconnect: true, tracking: tracking)
        {
            ConnectionFailed = ex => ConnectionFailed?.Invoke(this, new KvConnectionEventArgs(_options.EndPointText, ex)),
            ConnectionRestored = () => ConnectionRestored?.Invoke(this, new KvConnectionEventArgs(_options.EndPointText, null)),
        };
        _dedicated = new DedicatedConnections(_options);
        _subscriber = new Lazy<Subscriber>(() => new Subscriber(_options, ReportHandlerFailure, _invalidations, _invalidations is null ? null : _main.OnRedirectLost));
        _main.Start();
    }

    /// <summary>
    /// With <see cref="KvClientOptions.Tracking"/>: raised when keys this client read (or, in broadcast
    /// mode, keys under its prefixes) changed on the server, and with <see cref="KvInvalidation.All"/>
    /// when every key must be assumed changed: a flush, or a lost connection during which changes
    /// went unreported (raised before any command is sent on the new connection).
    /// <para>
    /// Handlers run synchronously on the thread that read the notification. With RESP3 that is the
    /// main connection's reader, in order with replies: the reply of a read the server ran before a
    /// change always comes before that change's invalidation, so a near cache that reserves an entry
    /// before sending a read, and drops it on invalidation, never keeps a stale value. With RESP2 it
    /// is the subscriber connection's reader, not ordered with replies (the same reservation still
    /// works), and "all" notifications also come from the reconnecting loop: handlers must be
    /// thread-safe. They must be fast and must never block nor wait for a command of this client
    /// (that would stall every reply behind them). An exception from a handler is reported through
    /// <see cref="MessageHandlerFailed"/>; the other handlers still run.
    /// </para>
    /// </summary>
    /// <exception cref="InvalidOperationException">Adding a handler to a client without <see cref="KvClientOptions.Tracking"/>.</exception>
    public event Action<KvInvalidation>? Invalidated
    {
        add
        {
            ArgumentNullException.ThrowIfNull(value);
            if (_invalidations is null)
            {
                throw new InvalidOperationException("KvClient.Invalidated needs KvClientOptions.Tracking: without it the server sends no invalidations. Set Tracking (new KvTrackingOptions()) on the options the client is created with.");
            }

            _invalidations.Add(value);
        }

        remove
        {
            if (value is not null)
            {
                _invalidations?.Remove(value);
            }
        }
    }

    /// <summary>Raised on the thread pool when the connection is lost; commands then wait for the reconnection.</summary>
    public event EventHandler<KvConnectionEventArgs>? ConnectionFailed;

    /// <summary>Raised on the thread pool when the connection is back after a loss.</summary>
    public event EventHandler<KvConnectionEventArgs>? ConnectionRestored;

    /// <summary>True while the main connection is up.</summary>
    public bool IsConnected => _main.IsConnected;

    /// <summary>The RESP version in use: 3 after a successful HELLO 3, else 2.</summary>
    public int Protocol => _main.Protocol;

    /// <summary>Connects to a server named by a connection string (<c>redis://user:pass@host:port/db</c>, <c>rediss://…</c> or <c>host:port</c>).</summary>
    /// <exception cref="KvConnectionException">The server could not be reached within <see cref="KvClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="KvServerException">The server refused the handshake (a wrong password, a database that does not exist).</exception>
    public static Task<KvClient> ConnectAsync(string connectionString, CancellationToken cancellationToken = default)
        => ConnectAsync(KvClientOptions.Parse(connectionString), cancellationToken);

    /// <summary>Connects with <paramref name="options"/> and completes when the first connection and its handshake succeeded.</summary>
    /// <exception cref="KvConnectionException">The server could not be reached within <see cref="KvClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="KvServerException">The server refused the handshake (a wrong password, a database that does not exist).</exception>
    public static async Task<KvClient> ConnectAsync(KvClientOptions options, CancellationToken cancellationToken = default)
    {
        var client = new KvClient(options);
        try
        {
            await client._main.FirstConnection.WaitAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends any command and returns its reply as the server sent it.</summary>
    /// <param name="command">The command name, such as <c>OBJECT</c>; subcommands go in <paramref name="args"/>.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="KvServerException">The server answered an error.</exception>
    public ValueTask<KvResult> ExecuteAsync(string command, params ReadOnlySpan<KvValue> args)
        => ExecuteAsync(command, args, CancellationToken.None);

    /// <summary>Sends any command and returns its reply as the server sent it.</summary>
    /// <param name="command">The command name, such as <c>OBJECT</c>; subcommands go in <paramref name="args"/>.</param>
    /// <param name="args">The arguments.</param>
    /// <param name="cancellationToken">Stops waiting for the reply (the command may still run).</param>
    /// <exception cref="KvServerException">The server answered an error.</exception>
    public ValueTask<KvResult> ExecuteAsync(string command, ReadOnlySpan<KvValue> args, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        var op = Operation<KvResult>.Rent(command, Replies.Result);
        op.AddRange(args);
        return Send(op, cancellationToken);
    }

    /// <summary>The health probe: sends PING and returns the round trip.</summary>
    /// <exception cref="KvConnectionException">The server cannot be reached.</exception>
    /// <exception cref="TimeoutException">No answer within <see cref="KvClientOptions.CommandTimeout"/>.</exception>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        var op = Operation<KvResult>.Rent(CommandNames.Ping, Replies.Result);
        await Send(op, cancellationToken).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>Starts a batch: commands added to it are sent together, back to back, when it is executed.</summary>
    public KvBatch CreateBatch() => new(this);

    /// <summary>Closes every connection; waiting commands fail with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await _main.DisposeAsync().ConfigureAwait(false);
        await _dedicated.DisposeAsync().ConfigureAwait(false);
        if (_subscriber.IsValueCreated)
        {
            await _subscriber.Value.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Drops the main connection as a network failure would (for tests of reconnection).</summary>
    internal void AbortConnection() => _main.Abort(new KvConnectionException("The connection was aborted by the test."));

    internal Multiplexer Main => _main;

    private void ReportHandlerFailure(Exception ex) => MessageHandlerFailed?.Invoke(this, new KvConnectionEventArgs(_options.EndPointText, ex));

    internal ValueTask<T> Send<T>(Operation<T> op, CancellationToken cancellationToken)
    {
        _main.Send(op, cancellationToken);
        return op.Task;
    }
}
