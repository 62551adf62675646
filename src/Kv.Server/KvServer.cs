using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kv.Server;

/// <summary>
/// A Redis-compatible server that runs inside the current process: tests start one on an
/// ephemeral port, and apps embed one so they need nothing installed.
/// </summary>
public sealed class KvServer : IAsyncDisposable
{
    private readonly List<IConnectionListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly HashSet<TaskCompletionSource> _connections = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILoggerFactory _loggerFactory;
    private ServerCron? _cron;
    private RespConnectionHandler? _handler;
    private int _stopping;

    /// <summary>Creates a server; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <exception cref="KvConfigException">An option is unknown or malformed.</exception>
    public KvServer(KvServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // An embedded server has no save points unless its arguments set some (the standalone kv-server
        // has Redis's defaults): a host's working folder is not a place to drop dump.rdb uninvited.
        var config = new ServerConfig { Save = "" };
        ConfigLoader.Apply(config, options.Arguments.ToArray());
        Set(config, "port", options.Port.ToString(CultureInfo.InvariantCulture), options.Port != 6379);
        Set(config, "bind", string.Join(' ', options.Bind), options.Bind.Count > 0);
        Set(config, "requirepass", options.RequirePass ?? "", !string.IsNullOrEmpty(options.RequirePass));
        Set(config, "databases", options.Databases.ToString(CultureInfo.InvariantCulture), options.Databases != 16);
        _loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        State = new ServerState(config, options.TimeProvider, _loggerFactory.CreateLogger("Kv.Server"));
    }

    internal KvServer(ServerConfig config, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        State = new ServerState(config, time, loggerFactory.CreateLogger("Kv.Server"));
    }

    internal ServerState State { get; }

    /// <summary>The port bound (useful when the options asked for 0).</summary>
    public int Port => State.BoundPort;

    /// <summary>The first bound endpoint.</summary>
    public IPEndPoint EndPoint => _listeners.Count > 0 && _listeners[0].EndPoint is IPEndPoint ip
        ? ip
        : throw new InvalidOperationException("The server is not started.");

    /// <summary>Completes when the server has stopped, by <see cref="StopAsync"/> or a client's SHUTDOWN.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Binds and starts accepting clients.</summary>
    /// <exception cref="InvalidDataException">The data files (AOF or RDB) are corrupt; the message says which and how to repair them.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var config = State.Config;
        config.AppendOnlyChanged = State.Aof.AppendOnlyChanged;
        var transport = new SocketTransportFactory(
            Options.Create(new SocketTransportOptions
            {
                NoDelay = true,
                Backlog = config.TcpBacklog,
                // Command code never blocks on I/O, so run it on the socket's completion thread
                // instead of hopping to the thread pool for every read.
                UnsafePreferInlineScheduling = true,
            }),
            _loggerFactory);

        try
        {
            foreach (var address in ResolveBind(config.Bind))
            {
                _listeners.Add(await transport.BindAsync(new IPEndPoint(address, config.Port), cancellationToken).ConfigureAwait(false));
            }

            if (config.UnixSocket.Length > 0)
            {
                File.Delete(config.UnixSocket);
                _listeners.Add(await transport.BindAsync(new UnixDomainSocketEndPoint(config.UnixSocket), cancellationToken).ConfigureAwait(false));
            }
        }
        catch (Exception ex) when (ex is SocketException or AddressInUseException)
        {
            await UnbindAsync().ConfigureAwait(false);
            throw new IOException($"Failed to bind to address {config.Port}: {ex.Message}", ex);
        }

        State.BoundPort = _listeners.Count > 0 && _listeners[0].EndPoint is IPEndPoint bound ? bound.Port : config.Port;
        State.RequestShutdown = () => _ = StopAsync();

        // Loading from the first accepted client on: a PING must not get PONG before the loader thread
        // has even started (Redis answers nothing until loadDataFromDisk, which sets server.loading).
        State.Rdb.Loading = true;
        var handler = new RespConnectionHandler(State);
        _handler = handler;
        foreach (var listener in _listeners)
        {
            _acceptLoops.Add(AcceptAsync(listener, handler));
        }

        // The data loads while clients can already connect: they get -LOADING until it is in (Redis's
        // loadDataFromDisk runs after the listeners open). A corrupt file stops the start.
        try
        {
            await Task.Run(() => Persistence.StartupLoader.Load(State), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await UnbindAsync().ConfigureAwait(false);
            foreach (var client in State.Clients.Snapshot())
            {
                client.Abort?.Invoke();
            }

            throw;
        }

        _cron = new ServerCron(State);
        _cron.Start();
    }

    /// <summary>
    /// Opens a client connection without a socket: commands written to the returned pipe's output are
    /// served as a TCP client's are (same limits, same CLIENT LIST entry with address <c>?:0</c>), and
    /// replies arrive on its input. Completing the output closes the connection. For a client in the
    /// same process (Kv.AspNetCore's embedded mode), which then skips the loopback TCP stack.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is not started, or is stopping.</exception>
    public System.IO.Pipelines.IDuplexPipe ConnectInMemory()
    {
        var handler = _handler ?? throw new InvalidOperationException("The server is not started: call StartAsync first.");
        if (Volatile.Read(ref _stopping) != 0)
        {
            throw new InvalidOperationException("The server is stopping.");
        }

        var connection = new InMemoryConnection();
        _ = RunAsync(connection, handler);
        return connection.Application;
    }

    /// <summary>
    /// The save a signal's shutdown makes (Redis's prepareForShutdown): with save points configured, a
    /// running background save is stopped and the data set is written in the foreground. A failed save
    /// is logged; the process still exits (the AOF, when on, is flushed by <see cref="StopAsync"/>).
    /// </summary>
    internal void SaveBeforeExit()
    {
        // Redis's shutdown_asap is acted on by serverCron, which a running script holds off: a signal's
        // shutdown waits for the script to end (or be killed by SCRIPT KILL, which still gets through).
        lock (State.Keyspace.Lock)
        {
            if (Persistence.Rdb.SavePoints.Parse(State.Config.Save).Count == 0)
            {
                return;
            }

            State.Rdb.CancelBackground();
            State.Logger.LogInformation("Saving the final RDB snapshot before exiting.");
            if (State.Rdb.SaveForeground() is { } error)
            {
                State.Logger.LogWarning("Error trying to save the DB: {Reason}", error);
            }
        }
    }

    /// <summary>Stops accepting clients, closes the connected ones and stops the background cycle.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            // SHUTDOWN NOSAVE during a busy script, or the host stopping: the script ends at its next hook.
            State.Scripting.KillForShutdown();
            if (_cron is not null)
            {
                await _cron.DisposeAsync().ConfigureAwait(false);
            }

            State.Memory.Stop();

            await UnbindAsync().ConfigureAwait(false);
            foreach (var client in State.Clients.Snapshot())
            {
                client.Abort?.Invoke();
            }

            await Task.WhenAll(_acceptLoops).WaitAsync(cancellationToken).ConfigureAwait(false);
            Task[] open;
            lock (_connections)
            {
                open = new Task[_connections.Count];
                int i = 0;
                foreach (var connection in _connections)
                {
                    open[i++] = connection.Task;
                }
            }

            await Task.WhenAll(open).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A connection that does not finish closing in time is left to the runtime.
        }
        finally
        {
            // Redis at shutdown: the AOF buffer is written and fsynced.
            State.Aof.Shutdown();
            _stopped.TrySetResult();
        }
    }

    private async Task UnbindAsync()
    {
        foreach (var listener in _listeners)
        {
            await listener.UnbindAsync().ConfigureAwait(false);
            await listener.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Kestrel's socket transport without the web host: binding, accepting and the connection's pipes,
    // nothing of HTTP (the web host loaded about 8 MB of assemblies a RESP server never uses).
    private async Task AcceptAsync(IConnectionListener listener, RespConnectionHandler handler)
    {
        while (true)
        {
            ConnectionContext? connection;
            try
            {
                connection = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (connection is null)
            {
                return;
            }

            // The connection runs here up to its first read that has not arrived; a script in that first
            // batch hops to the thread pool (ClientConnection.OnAcceptLoop), whatever thread this loop is on.
            ClientConnection.OnAcceptLoop = true;
            try
            {
                _ = RunAsync(connection, handler);
            }
            finally
            {
                ClientConnection.OnAcceptLoop = false;
            }
        }
    }

    private async Task RunAsync(ConnectionContext connection, RespConnectionHandler handler)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_connections)
        {
            _connections.Add(closed);
        }

        // Started on the accept loop (the socket thread) up to its first read that has not arrived: so a new
        // client's first command is ordered with everyone else's, as in Redis's event loop. That first read
        // runs one batch at most before the next accept; a script in it hops to the thread pool.
        try
        {
            await handler.OnConnectedAsync(connection).ConfigureAwait(false);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            lock (_connections)
            {
                _connections.Remove(closed);
            }

            closed.TrySetResult();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private static void Set(ServerConfig config, string name, string value, bool when)
    {
        if (when && config.Find(name)!.Set(value) is { } error)
        {
            throw new KvConfigException($"Invalid value for '{name}': {error}");
        }
    }

    // redis.conf: "*" is every IPv4 address, "::*" every IPv6 one, and a leading "-" marks an
    // address that may be unavailable without failing the start.
    private static IEnumerable<IPAddress> ResolveBind(IEnumerable<string> bind)
    {
        foreach (var entry in bind)
        {
            bool optional = entry.StartsWith('-');
            string text = optional ? entry[1..] : entry;
            var address = text switch
            {
                "*" => IPAddress.Any,
                "::*" => IPAddress.IPv6Any,
                "localhost" => IPAddress.Loopback,
                _ => IPAddress.Parse(text),
            };

            if (optional && address.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6)
            {
                continue;
            }

            yield return address;
        }
    }
}
