using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Kv.Server.Tests.Compatibility;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Tooling;

/// <summary>
/// `dotnet pack src/Kv.Server` (plus `-r linux-x64` for the Native AOT build and `-r any` for the
/// framework-dependent fallback) makes the `kv-server` dotnet tool; installed from the local folder
/// with `dotnet tool install --tool-path`, it starts with redis-server's options and answers PING.
/// Slow (a pack and an install), so it carries its own category; it still runs by default. With
/// KV_PACKAGES set (CI, after .ci/package-smoke) it installs the packages in that folder instead.
/// </summary>
[Trait("Category", "Tooling")]
public sealed class DotnetToolTests : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4);
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("kv-tool-test-");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try
        {
            _work.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task PackedToolInstallsStartsAndAnswers()
    {
        string tool = await PackAndInstallAsync();

        // An unknown option stops the server with a message naming it and a non-zero exit code.
        var bad = await ExternalProcess.RunAsync(tool, ["--nonsense", "1"], TimeSpan.FromSeconds(60), environment: ToolEnvironment());
        Assert.True(bad.ExitCode != 0, $"kv-server --nonsense 1 exited with 0.\n{bad}");
        Assert.Contains("nonsense", bad.StandardOutput + bad.StandardError);

        int port = RedisServerFixture.FreeLoopbackPort();
        var info = ExternalProcess.Describe(tool, ["--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"], ToolEnvironment());
        var output = new StringBuilder();
        using var server = new Process { StartInfo = info };
        server.OutputDataReceived += (_, e) => Append(output, e.Data);
        server.ErrorDataReceived += (_, e) => Append(output, e.Data);
        server.Start();
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await using var client = await ConnectWithDeadlineAsync(server, port, output);
            Assert.Equal("+PONG", (await client.SendAsync("PING")).ToString());
            Assert.Equal("+OK", (await client.SendAsync("SET", "tool:key", "installed")).ToString());
            Assert.Equal("$installed", (await client.SendAsync("GET", "tool:key")).ToString());

            // Lua comes as a native library inside the package: scripts must run in the installed tool.
            Assert.Equal("$installed", (await client.SendAsync("EVAL", "return redis.call('GET', KEYS[1])", "1", "tool:key")).ToString());

            // SHUTDOWN where the server has it; otherwise SIGTERM, which kv-server handles by stopping cleanly.
            await client.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            bool shutdownUnknown = await ReplyIsUnknownCommandAsync(client);
            if (shutdownUnknown)
            {
                Assert.Equal(0, SendSignal(server.Id, SigTerm));
            }

            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await server.WaitForExitAsync(exit.Token);
            Assert.True(server.ExitCode == 0, $"kv-server exited with {server.ExitCode} after {(shutdownUnknown ? "SIGTERM" : "SHUTDOWN")}.\n{Read(output)}");
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    private const int SigTerm = 15;

    /// <summary>A folder that already holds the kv-server packages of this tree (set by .ci/run).</summary>
    private const string PackagesVariable = "KV_PACKAGES";

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private async Task<string> PackAndInstallAsync()
    {
        string root = RepositoryRoot();
        string packages = Path.Combine(_work.FullName, "nupkg");
        string tools = Path.Combine(_work.FullName, "tools");
        string dotnet = DotnetHost();

        // CI's .ci/package-smoke has just packed the same tree (the Native AOT pack is the slow part):
        // KV_PACKAGES names its folder, and the packages there are installed instead of packing again.
        if (Environment.GetEnvironmentVariable(PackagesVariable) is { Length: > 0 } packed)
        {
            Assert.True(Directory.Exists(packed), $"{PackagesVariable} names {packed}, which does not exist.");
            packages = packed;
        }
        else
        {
            // The tool is RID-specific (.NET 10): a pointer package naming the platform packages, a Native
            // AOT one for linux-x64 and a framework-dependent "any" one for every other platform.
            string project = Path.Combine(root, "src", "Kv.Server");
            foreach (string[] rid in (string[][])[[], ["-r", "linux-x64"], ["-r", "any"]])
            {
                var pack = await ExternalProcess.RunAsync(dotnet, ["pack", project, "-c", "Release", "-o", packages, "--nologo", .. rid], CommandTimeout, environment: DotnetEnvironment(null));
                Assert.True(pack.ExitCode == 0, $"dotnet pack {string.Join(' ', rid)} failed.\n{pack}");
            }
        }

        var nupkg = Directory.GetFiles(packages, "kv-server.*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.True(nupkg.Length == 3, $"Expected three kv-server packages in {packages}, found: {string.Join(", ", nupkg)}");
        string pointer = nupkg.Single(name => !name!.StartsWith("kv-server.any.", StringComparison.Ordinal) && !name.StartsWith("kv-server.linux-x64.", StringComparison.Ordinal))!;

        // Only the local folder as a source, and an empty package cache, so the tool installed is the
        // one just packed (never a same-named package from nuget.org or a stale cached copy).
        string config = Path.Combine(_work.FullName, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        string version = Path.GetFileNameWithoutExtension(pointer)["kv-server.".Length..];
        var install = await ExternalProcess.RunAsync(
            dotnet,
            ["tool", "install", "kv-server", "--tool-path", tools, "--add-source", packages, "--configfile", config, "--version", version],
            CommandTimeout,
            environment: DotnetEnvironment(Path.Combine(_work.FullName, "nuget-cache")),
            workingDirectory: _work.FullName);
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed.\n{install}");

        string tool = Path.Combine(tools, OperatingSystem.IsWindows() ? "kv-server.exe" : "kv-server");
        Assert.True(File.Exists(tool), $"dotnet tool install did not create {tool}.\n{install}");
        if (RuntimeInformation.RuntimeIdentifier == "linux-x64")
        {
            // Here the CLI must pick the native build, not the framework-dependent fallback.
            string target = File.ResolveLinkTarget(tool, returnFinalTarget: true)?.FullName ?? tool;
            Assert.True(target.Contains("kv-server.linux-x64", StringComparison.Ordinal), $"Installed {target}, not the linux-x64 package.\n{install}");
        }

        return tool;
    }

    private static async Task<RespTestClient> ConnectWithDeadlineAsync(Process server, int port, StringBuilder output)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            Assert.False(server.HasExited, $"kv-server exited with {(server.HasExited ? server.ExitCode : 0)} before accepting connections.\n{Read(output)}");
            try
            {
                return await RespTestClient.ConnectAsync(port);
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task<bool> ReplyIsUnknownCommandAsync(RespTestClient client)
    {
        try
        {
            var reply = await client.ReadReplyAsync(TimeSpan.FromSeconds(10));
            return reply.IsError && (reply.Text ?? "").StartsWith("ERR unknown command", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            // SHUTDOWN closes the connection without a reply.
            return false;
        }
    }

    // The tool's launcher finds the runtime through DOTNET_ROOT when dotnet is not in a default location.
    private static Dictionary<string, string?> ToolEnvironment() => new()
    {
        ["DOTNET_ROOT"] = DotnetRoot(),
    };

    private static Dictionary<string, string?> DotnetEnvironment(string? packageCache)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };
        if (packageCache is not null)
        {
            environment["NUGET_PACKAGES"] = packageCache;
        }

        return environment;
    }

    private static string DotnetRoot() => Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        string candidate = Path.Combine(DotnetRoot(), OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kv.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Kv.sln not found above {AppContext.BaseDirectory}.");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
