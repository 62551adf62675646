using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// A server in its own process on a free loopback port, pinned to one core through <c>taskset</c>
/// (so every thread it starts inherits the core: setting the affinity after start would pin only its
/// main thread), with no persistence. The tests' RedisProcess starts redis-server only and unpinned;
/// the benchmark needs kv-server too, and both on the server's core.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly List<ServerProcess> Running = [];
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    static ServerProcess()
    {
        // A benchmark stopped with Ctrl+C leaves no server behind.
        Console.CancelKeyPress += (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private ServerProcess(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>The CPU time the server has used (user and system, all its threads), from /proc at 10 ms resolution.</summary>
    public TimeSpan CpuTime()
    {
        // /proc/<pid>/stat: the name in parentheses may hold spaces; utime and stime are the 12th and
        // 13th fields after it, in clock ticks (USER_HZ, 100 on Linux).
        string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    /// <summary>Debian's redis-server.</summary>
    public static Task<ServerProcess> StartRedisAsync(string path, int? cpu)
    {
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} not found: install it with 'apt-get install -y redis-server', or name another with --redis-server.");
        }

        return StartAsync("redis-server", path, [], cpu);
    }

    /// <summary>This tree's kv-server, framework-dependent, under <c>dotnet</c>.</summary>
    public static Task<ServerProcess> StartKvAsync(string? dll, int? cpu)
    {
        dll ??= Path.Combine(RepositoryRoot(), "src", "Kv.Server", "bin", "Release", "net10.0", "Kv.Server.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} not found: build it with 'dotnet build src/Kv.Server -c Release', or name another with --kv-server.");
        }

        return StartAsync("kv-server", "dotnet", [dll], cpu);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        lock (Running)
        {
            Running.Remove(this);
        }

        return default;
    }

    private static async Task<ServerProcess> StartAsync(string name, string program, string[] leading, int? cpu)
    {
        int port = FreePort();
        var info = new ProcessStartInfo(cpu is null ? program : "taskset")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpu is { } core)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(core.ToString(CultureInfo.InvariantCulture));
            info.ArgumentList.Add(program);
        }

        foreach (var arg in leading.Concat(["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning", "--dir", Path.GetTempPath()]))
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        var server = new ServerProcess(name, port, process);
        process.OutputDataReceived += (_, e) => server.Log(e.Data);
        process.ErrorDataReceived += (_, e) => server.Log(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Running)
        {
            Running.Add(server);
        }

        try
        {
            await server.WaitForPingAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    private async Task WaitForPingAsync(TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var buffer = new byte[64];
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode}:\n{_log}");
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(IPAddress.Loopback, Port);
                await socket.SendAsync("PING\r\n"u8.ToArray());
                int read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
                if (buffer.AsSpan(0, read).StartsWith("+PONG"u8))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or TimeoutException)
            {
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{Name} did not answer PING on port {Port} within {timeout.TotalSeconds} s:\n{_log}");
            }

            await Task.Delay(50);
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }
    }

    private static void KillAll()
    {
        lock (Running)
        {
            foreach (var server in Running)
            {
                server.Kill();
            }
        }
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

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The folder holding Kv.sln, found upwards from this program.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kv.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Kv.sln not found above this program: name the server with --kv-server.");
    }
}
