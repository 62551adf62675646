using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kv.Server.Tests.Compatibility;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// kv-server as a separate process (the built Kv.Server.dll run by <c>dotnet</c>), or redis-server, so a
/// test can kill it with SIGKILL and start it again on the same data folder.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static Task<ServerProcess> StartKvAsync(params string[] arguments) => StartKvAsync(null, arguments);

    /// <summary>kv-server with extra environment variables (e.g. <c>DOTNET_GCHeapHardLimit</c>, so a runaway fails fast instead of filling the machine).</summary>
    public static Task<ServerProcess> StartKvAsync(IDictionary<string, string?>? environment, params string[] arguments)
    {
        int port = RedisServerFixture.FreeLoopbackPort();
        string[] server = [DotnetHost(), typeof(KvServer).Assembly.Location, "--port", port.ToString(CultureInfo.InvariantCulture), .. arguments];

        // A test run started in the background (a CI script, `dotnet test &`) has SIGINT ignored, which the
        // server would inherit, and .NET keeps an inherited SIG_IGN for SIGINT: env(1) restores the default
        // first, so the SIGINT tests see what a server started from a terminal does.
        return File.Exists("/usr/bin/env")
            ? StartAsync("/usr/bin/env", ["--default-signal=INT", .. server], port, environment)
            : StartAsync(server[0], server[1..], port, environment);
    }

    public static Task<ServerProcess> StartRedisAsync(params string[] arguments)
    {
        int port = RedisServerFixture.FreeLoopbackPort();
        string path = RedisBinaries.Find("redis-server") ?? throw new InvalidOperationException(RedisBinaries.InstallHint);
        return StartAsync(path, ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--daemonize", "no", "--save", "", .. arguments], port);
    }

    private static async Task<ServerProcess> StartAsync(string executable, string[] arguments, int port, IDictionary<string, string?>? environment = null)
    {
        var info = ExternalProcess.Describe(executable, arguments, environment);
        var process = new Process { StartInfo = info };
        var server = new ServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var client = await RespTestClient.ConnectAsync(port);
                if ((await client.SendAsync("PING")).ToString() == "+PONG")
                {
                    return server;
                }
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
            {
            }

            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"{Path.GetFileName(executable)} did not start (exit: {(process.HasExited ? process.ExitCode : "still running")}).\n{server.Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The process's resident memory now (VmRSS), in bytes.</summary>
    public long ResidentBytes() => ProcStatus("VmRSS:");

    /// <summary>The process's peak resident memory so far (VmHWM), in bytes.</summary>
    public long PeakResidentBytes() => ProcStatus("VmHWM:");

    private long ProcStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"No {field} in /proc/{_process.Id}/status.");
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Sends a POSIX signal (SIGTERM, SIGINT) to the process.</summary>
    public void Signal(int signal)
    {
        if (SysKill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed.");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);

    /// <summary>SIGKILL: no flush, no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to exit by itself (after SHUTDOWN).</summary>
    public async Task WaitForExitAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    // The dotnet host running these tests runs kv-server too.
    private static string DotnetHost()
    {
        string? root = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (root is not null && File.Exists(root))
        {
            return root;
        }

        var main = Process.GetCurrentProcess().MainModule?.FileName;
        return main is not null && Path.GetFileNameWithoutExtension(main) == "dotnet" ? main : "dotnet";
    }
}
