using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kv.Client.Tests.Infrastructure;

/// <summary>A real redis-server child process on a loopback port (Debian's package); restartable on the same port.</summary>
public sealed class RedisProcess : IAsyncDisposable
{
    public const string InstallHint = "install it with 'apt-get install -y redis-server' (.ci/run does this)";
    private readonly StringBuilder _log = new();
    private readonly string[] _extraArguments;
    private Process? _process;

    private RedisProcess(int port, string[] extraArguments)
    {
        Port = port;
        _extraArguments = extraArguments;
    }

    public int Port { get; }

    /// <summary>True when the environment says this is CI: a missing redis-server then fails the tests instead of leaving them out.</summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is { } v && (v.Equals("true", StringComparison.OrdinalIgnoreCase) || v == "1");

    public static string? Path => new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }
        .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(d => System.IO.Path.Combine(d, "redis-server")))
        .FirstOrDefault(File.Exists);

    /// <summary>Whether tests against redis-server run: when it is installed, and always under CI (where its absence fails them).</summary>
    public static bool Enabled => IsCi || Path is not null;

    public static async Task<RedisProcess> StartAsync(params string[] extraArguments)
    {
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var redis = new RedisProcess(FreePort(), extraArguments);
            try
            {
                await redis.StartAsync();
                return redis;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                last = ex;
                await redis.DisposeAsync();
            }
        }

        throw new InvalidOperationException("redis-server did not start.", last);
    }

    public async Task StartAsync()
    {
        string path = Path ?? throw new InvalidOperationException($"redis-server is not installed: {InstallHint}.");
        var info = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // "{port}" in an extra argument stands for the chosen port (TLS tests: --port 0 --tls-port {port}).
        string port = Port.ToString(CultureInfo.InvariantCulture);
        foreach (var arg in new[] { "--port", port, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--daemonize", "no", "--dir", System.IO.Path.GetTempPath() }.Concat(_extraArguments))
        {
            info.ArgumentList.Add(arg.Replace("{port}", port, StringComparison.Ordinal));
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode}:\n{_log}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"redis-server did not listen on {Port} within 15 s:\n{_log}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Kills the process (SIGKILL: no goodbye on the sockets).</summary>
    public void Kill()
    {
        var process = _process;
        _process = null;
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
        }

        process.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return default;
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
