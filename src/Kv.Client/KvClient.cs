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
        _main = new Multiplexer(_options, reconnect: true)
        {
            ConnectionFailed = ex => ConnectionFailed?.Invoke(this, new KvConnectionEventArgs(_options.EndPointText, ex)),
            ConnectionRestored = () => ConnectionRestored?.Invoke(this, new KvConnectionEventArgs(_options.EndPointText, null)),
        };
        _dedicated = new DedicatedConnections(_options);
        _subscriber = new Lazy<Subscriber>(() => new Subscriber(_options, ex => MessageHandlerFailed?.Invoke(this, new KvConnectionEventArgs(_options.EndPointText, ex))));
        _main.Start();
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

    internal ValueTask<T> Send<T>(Operation<T> op, CancellationToken cancellationToken)
    {
        _main.Send(op, cancellationToken);
        return op.Task;
    }
}
