using System.IO.Pipelines;
using System.Net;
using Kv.Server;
using Kv.Server.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipelines.Sockets.Unofficial;

namespace Kv.AspNetCore.Embedded;

/// <summary>
/// The Kv server inside the app when no endpoint is configured: started with the host (data loaded
/// before the app serves requests), stopped with it (the append-only file flushed and fsynced). The
/// app's clients connect through <see cref="ConnectAsync"/>, which waits for the start.
/// </summary>
internal sealed partial class EmbeddedKvServer : IAsyncDisposable
{
    private readonly KvOptions _options;
    private readonly IHostEnvironment? _environment;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<KvServer> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private KvServer? _server;

    public EmbeddedKvServer(IOptions<KvOptions> options, ILoggerFactory loggerFactory, IHostEnvironment? environment = null)
    {
        _options = options.Value;
        _environment = environment;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Kv.AspNetCore.EmbeddedServer");
    }

    /// <summary>The running server (null before the host starts).</summary>
    public KvServer? Server => _server;

    /// <summary>The folder the data lives in.</summary>
    public string DataDirectory => Path.GetFullPath(_options.Embedded.DataDirectory, _environment?.ContentRootPath ?? AppContext.BaseDirectory);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var embedded = _options.Embedded;
        string directory = DataDirectory;
        Directory.CreateDirectory(directory);
        var arguments = new List<string>
        {
            "--dir", directory,
            "--appendonly", embedded.AppendOnly ? "yes" : "no",
            "--appendfsync", "everysec",
            "--maxmemory", embedded.MaxMemory,
            "--maxmemory-policy", embedded.MaxMemoryPolicy,
        };
        arguments.AddRange(embedded.Arguments);

        KvServer server;
        try
        {
            server = new KvServer(new KvServerOptions
            {
                Port = embedded.Port,
                Bind = ["127.0.0.1"],
                Arguments = arguments,
                LoggerFactory = _loggerFactory,
            });
        }
        catch (KvConfigException ex)
        {
            var failure = new OptionsValidationException(KvOptions.SectionName, typeof(KvOptions), [$"{SettingAtFault(ex.Message, embedded)}: the embedded server refused it: {ex.Message}"]);
            _started.TrySetException(failure);
            throw failure;
        }

        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _started.TrySetException(ex);
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _server = server;
        LogStarted(_logger, server.Port, directory, embedded.AppendOnly ? "on" : "off", embedded.MaxMemory, embedded.MaxMemoryPolicy);
        _started.TrySetResult(server);
    }

    /// <summary>
    /// The Kv:Embedded setting behind a refused server option: the server's message names the option
    /// as given on its command line (<c>command line option --maxmemory: …</c>), and each option
    /// comes from one setting.
    /// </summary>
    private static string SettingAtFault(string message, KvEmbeddedServerOptions embedded)
    {
        if (message.Contains("--maxmemory-policy:", StringComparison.Ordinal))
        {
            return $"Kv:Embedded:MaxMemoryPolicy is '{embedded.MaxMemoryPolicy}'";
        }

        if (message.Contains("--maxmemory:", StringComparison.Ordinal))
        {
            return $"Kv:Embedded:MaxMemory is '{embedded.MaxMemory}' (use redis.conf units such as 256mb or 1gb, or 0 for no ceiling)";
        }

        if (message.Contains("--dir:", StringComparison.Ordinal))
        {
            return $"Kv:Embedded:DataDirectory is '{embedded.DataDirectory}'";
        }

        return $"Kv:Embedded:Arguments is [{string.Join(' ', embedded.Arguments)}]";
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            await server.StopAsync(cancellationToken).ConfigureAwait(false);
            LogStopped(_logger, DataDirectory);
        }
    }

    /// <summary>Opens a connection for the app's client once the server has started.</summary>
    public async ValueTask<IDuplexPipe> ConnectAsync(CancellationToken cancellationToken)
    {
        var server = await _started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Embedded.Transport == KvEmbeddedTransport.InMemory)
        {
            return server.ConnectInMemory();
        }

        return await SocketConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        _started.TrySetException(new ObjectDisposedException(nameof(EmbeddedKvServer), "The app's embedded Kv server was disposed."));
        if (_server is { } server)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Kv server listening on 127.0.0.1:{Port} (for redis-cli; the app connects in memory or over that port); data in {Directory} (append-only file {AppendOnly}); memory ceiling {MaxMemory}, eviction {Policy}.")]
    private static partial void LogStarted(ILogger logger, int port, string directory, string appendOnly, string maxMemory, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Kv server stopped; data saved in {Directory}.")]
    private static partial void LogStopped(ILogger logger, string directory);
}
