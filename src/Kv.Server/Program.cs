using Kv.Server;
using Kv.Server.Configuration;
using Microsoft.Extensions.Logging;

// kv-server [config-file] [--name value ...]: the same command line redis-server takes.

// One malloc arena for the key blocks, set before any other thread allocates (MemoryReclaim explains why).
Kv.Server.Persistence.MemoryReclaim.UseOneMallocArena();

// Run socket completions on the epoll thread instead of hopping to the thread pool for every
// receive: command code never blocks, so the standalone server works like Redis's event loop
// (measured with redis-benchmark -P 1, 50 clients: about 70k -> 100k requests/s). It must be set
// before the first socket is used; the embedded server leaves the host app's setting alone. The Native
// AOT build reads it the same way (System.Net.Sockets reads it through Environment, whose Unix
// implementation sees variables set here): checked by the socket engine thread doing the work.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

// One epoll thread, as Redis's one event loop: with inline completions the runtime would start one per
// core, and two sockets served by two threads race for the keyspace lock, so a command sent on one
// connection could run after a command another client sent later (a SET overtaken by a GET sent after
// it on another connection, a second BRPOPLPUSH served before the first: 24 and 35 of 300 runs on
// 2 cores; 0 with one thread). Commands run under one lock anyway; scripts hop to the thread pool.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT", "1");
}

if (args.Length == 1 && args[0] is "-v" or "--version")
{
    Console.WriteLine($"kv-server v={typeof(KvServer).Assembly.GetName().Version} (Redis 7.0 protocol)");
    return 0;
}

if (args.Length == 1 && args[0] is "-h" or "--help")
{
    Console.WriteLine("Usage: kv-server [/path/to/redis.conf] [options]");
    Console.WriteLine("       kv-server --port 6380 --bind 127.0.0.1 --requirepass secret --save \"\" --appendonly no");
    return 0;
}

var config = new ServerConfig();
try
{
    ConfigLoader.Apply(config, args);
}
catch (KvConfigException ex)
{
    Console.Error.WriteLine("*** FATAL CONFIG ERROR ***");
    Console.Error.WriteLine(ex.Message);
    return 1;
}

using var loggerFactory = LoggerFactory.Create(logging =>
{
    logging.AddSimpleConsole(console =>
    {
        console.SingleLine = true;
        console.TimestampFormat = "dd MMM yyyy HH:mm:ss.fff ";
    });
    logging.SetMinimumLevel(config.LogLevel switch
    {
        "debug" => LogLevel.Debug,
        "verbose" => LogLevel.Information,
        "notice" => LogLevel.Information,
        "warning" => LogLevel.Warning,
        _ => LogLevel.None,
    });
    logging.AddFilter("Microsoft", LogLevel.Warning);
    // A failed bind is reported once, below, naming the port; not as a hosting stack trace.
    logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
});

var logger = loggerFactory.CreateLogger("kv-server");
await using var server = new KvServer(config, TimeProvider.System, loggerFactory);
server.State.OwnsProcess = true;
server.State.Reclaim.MeasureBaseline();

// Signal handlers go in before the first client is accepted (Redis's setupSignalHandlers runs in
// initServer): after StartAsync this code waits for a thread-pool thread, which a client's runaway script
// and the cron may both hold, and a SIGINT arriving before them would kill the process outright.
using var signals = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    if (signals.IsCancellationRequested)
    {
        // Redis's sigShutdownHandler: a second SIGINT while a shutdown waits (for a busy script) exits now.
        logger.LogWarning("You insist... exiting now.");
        Environment.Exit(1);
    }

    logger.LogWarning("Received SIGINT scheduling shutdown...");
    signals.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    logger.LogWarning("Received SIGTERM scheduling shutdown...");
    signals.Cancel();
});

try
{
    await server.StartAsync();
}
catch (InvalidDataException ex)
{
    // A corrupt AOF or RDB stops the start (Redis exits too): never serve a partial data set.
    logger.LogCritical("{Reason}", ex.Message);
    return 1;
}
catch (IOException ex)
{
    logger.LogCritical("Could not listen on port {Port}: {Reason}", config.Port, ex.Message);
    return 1;
}

logger.LogInformation("kv-server started, pid={Pid}, port={Port}. Ready to accept connections tcp", Environment.ProcessId, server.Port);

await Task.WhenAny(server.Stopped, Task.Delay(Timeout.Infinite, signals.Token).ContinueWith(_ => { }, TaskScheduler.Default));
if (!server.Stopped.IsCompleted)
{
    // SIGTERM/SIGINT: save when save points are configured, as Redis's prepareForShutdown.
    server.SaveBeforeExit();
}

logger.LogInformation("Received shutdown request, stopping. kv-server is now ready to exit, bye bye...");
await server.StopAsync();
return 0;
