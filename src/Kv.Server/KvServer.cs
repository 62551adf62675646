using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kv.Server.Configuration;
using Kv.Server.Network;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kv.Server;

/// <summary>
/// A Redis-compatible server that runs inside the current process: tests start one on an
/// ephemeral port, and apps embed one so they need nothing installed.
/// </summary>
public sealed class KvServer : IAsyncDisposable
{
    private readonly List<ListenOptions> _listeners = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILoggerFactory _loggerFactory;
    private WebApplication? _app;
    private ServerCron? _cron;
    private int _stopping;

    /// <summary>Creates a server; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <exception cref="KvConfigException">An option is unknown or malformed.</exception>
    public KvServer(KvServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new ServerConfig();
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
    public IPEndPoint EndPoint => _listeners.Count > 0 && _listeners[0].IPEndPoint is { } ip
        ? ip
        : throw new InvalidOperationException("The server is not started.");

    /// <summary>Completes when the server has stopped, by <see cref="StopAsync"/> or a client's SHUTDOWN.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>Binds and starts accepting clients.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var config = State.Config;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Services.AddSingleton(State);
        builder.Services.AddSingleton(_loggerFactory);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(sockets =>
        {
            sockets.NoDelay = true;
            sockets.Backlog = config.TcpBacklog;
            // Command code never blocks on I/O, so run it on the socket's completion thread
            // instead of hopping to the thread pool for every read.
            sockets.UnsafePreferInlineScheduling = true;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var address in ResolveBind(config.Bind))
            {
                kestrel.Listen(address, config.Port, listen =>
                {
                    listen.UseConnectionHandler<RespConnectionHandler>();
                    _listeners.Add(listen);
                });
            }

            if (config.UnixSocket.Length > 0)
            {
                kestrel.ListenUnixSocket(config.UnixSocket, listen => listen.UseConnectionHandler<RespConnectionHandler>());
            }
        });

        _app = builder.Build();
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        State.BoundPort = _listeners.Count > 0 && _listeners[0].IPEndPoint is { } bound ? bound.Port : config.Port;
        State.RequestShutdown = () => _ = StopAsync();
        _cron = new ServerCron(State);
        _cron.Start();
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
            if (_cron is not null)
            {
                await _cron.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var client in State.Clients.Snapshot())
            {
                client.Abort?.Invoke();
            }

            if (_app is not null)
            {
                await _app.StopAsync(cancellationToken).ConfigureAwait(false);
                await _app.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _stopped.TrySetResult();
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
