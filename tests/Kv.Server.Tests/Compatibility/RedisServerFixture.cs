using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// A real redis-server (Debian's 7.0 package) on a free loopback port next to an in-process
/// kv-server, so a test can send both the same commands. Without redis-server the fixture fails
/// under CI and stays idle locally (the tests are skipped by <see cref="RedisFactAttribute"/>).
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly StringBuilder _redisLog = new();
    private Process? _redis;
    private int _redisPort;

    private Process? _twin;
    private int _twinPort;

    public KvServer Kv { get; private set; } = null!;

    /// <summary>
    /// With <c>KV_COMPAT_SELF_CHECK=1</c> the "kv-server" side of every comparison is a second
    /// redis-server and every command (pending ones too) is compared: any difference is then a
    /// flaw of the harness or the stream (time-dependent or unspecified behaviour), not of kv-server.
    /// </summary>
    public static bool SelfCheck => Environment.GetEnvironmentVariable("KV_COMPAT_SELF_CHECK") == "1";

    public int KvPort => _twin is not null ? _twinPort : Kv.Port;

    /// <summary>The redis-server's port; throws with the install hint when redis-server is missing.</summary>
    public int RedisPort => _redis is not null ? _redisPort : throw new InvalidOperationException(
        $"redis-server is not running: {RedisBinaries.InstallHint}.");

    public async Task InitializeAsync()
    {
        Kv = await KvServerFixture.StartAsync();
        var path = RedisBinaries.Find("redis-server");
        if (path is null)
        {
            if (RedisBinaries.IsCi)
            {
                throw new InvalidOperationException($"CI=true but redis-server is not installed, so the compatibility tests cannot run: {RedisBinaries.InstallHint}.");
            }

            return;
        }

        // A free port found by binding 0 can be taken before redis-server binds it; try a few.
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                (_redis, _redisPort) = await StartRedisAsync(path);
                if (SelfCheck)
                {
                    (_twin, _twinPort) = await StartRedisAsync(path);
                }

                return;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                last = ex;
                StopRedis();
            }
        }

        throw new InvalidOperationException("redis-server did not start.", last);
    }

    public Task<RespTestClient> ConnectKvAsync() => RespTestClient.ConnectAsync(KvPort);

    public Task<RespTestClient> ConnectRedisAsync() => RespTestClient.ConnectAsync(RedisPort);

    /// <summary>One connection to each server, for a side-by-side comparison; <paramref name="protocol"/> 3 sends HELLO 3 to both first.</summary>
    public async Task<CompatSession> OpenSessionAsync(int seed = 0, int protocol = 2)
    {
        var kv = await ConnectKvAsync();
        var redis = await ConnectRedisAsync();
        var session = new CompatSession(kv, redis, seed);
        if (protocol == 3)
        {
            // HELLO's reply names the server and the client id, so it is checked, not compared.
            var (kvHello, redisHello) = await session.SendBothAsync(["HELLO", "3"]);
            Assert.True(kvHello.Type == '%' && redisHello.Type == '%', $"HELLO 3: kv-server {kvHello}, redis-server {redisHello}");
        }

        return session;
    }

    public async Task DisposeAsync()
    {
        StopRedis();
        if (Kv is not null)
        {
            await Kv.DisposeAsync();
        }
    }

    private async Task<(Process, int)> StartRedisAsync(string path)
    {
        int port = FreeLoopbackPort();
        var info = ExternalProcess.Describe(path, ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--daemonize", "no", "--dir", Path.GetTempPath()]);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await WaitForPingAsync(process, port);
        }
        catch
        {
            Stop(process);
            throw;
        }

        return (process, port);
    }

    private async Task WaitForPingAsync(Process process, int port)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} on port {port}:\n{RedisLog}");
            }

            try
            {
                await using var client = await RespTestClient.ConnectAsync(port);
                var reply = await client.SendAsync("PING");
                if (reply.ToString() == "+PONG")
                {
                    // kv-server follows Redis 7.0; other versions differ in error texts and the command table.
                    string info = (await client.SendAsync("INFO", "server")).Text ?? "";
                    if (!info.Contains("redis_version:7.0.", StringComparison.Ordinal))
                    {
                        throw new NotSupportedException($"{process.StartInfo.FileName} is not Redis 7.0 ({info.Split('\n').FirstOrDefault(line => line.StartsWith("redis_version", StringComparison.Ordinal))?.Trim()}); the comparisons need Debian 12's redis-server 7.0.");
                    }

                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"redis-server did not answer PING on port {port} within {StartTimeout}:\n{RedisLog}");
            }

            await Task.Delay(20);
        }
    }

    private string RedisLog
    {
        get
        {
            lock (_redisLog)
            {
                return _redisLog.ToString();
            }
        }
    }

    private void Log(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_redisLog)
        {
            _redisLog.AppendLine(line);
        }
    }

    private void StopRedis()
    {
        Stop(_redis);
        Stop(_twin);
        _redis = null;
        _twin = null;
    }

    private static void Stop(Process? process)
    {
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    internal static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
