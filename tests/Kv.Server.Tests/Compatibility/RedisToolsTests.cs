using System.Globalization;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>redis-cli and redis-benchmark (Debian's redis-tools) run against an in-process kv-server.</summary>
public sealed class RedisToolsTests : IClassFixture<KvServerFixture>
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);
    private readonly KvServerFixture _fixture;

    public RedisToolsTests(KvServerFixture fixture) => _fixture = fixture;

    private string Port => _fixture.Port.ToString(CultureInfo.InvariantCulture);

    [RedisFact("redis-cli")]
    public async Task RedisCliSetsAndGets()
    {
        var set = await CliAsync("SET", "cli:greeting", "hello world");
        Assert.Equal("OK", set.StandardOutput.Trim());
        var get = await CliAsync("GET", "cli:greeting");
        Assert.Equal("\"hello world\"", get.StandardOutput.Trim());
        var missing = await CliAsync("GET", "cli:missing");
        Assert.Equal("(nil)", missing.StandardOutput.Trim());
        var incr = await CliAsync("INCRBY", "cli:n", "41");
        Assert.Equal("(integer) 41", incr.StandardOutput.Trim());
        var error = await CliAsync("INCR", "cli:greeting");
        Assert.Equal("(error) ERR value is not an integer or out of range", error.StandardOutput.Trim());
    }

    [RedisFact("redis-cli")]
    public async Task RedisCliPipeMassInsertionOfTenThousandCommands()
    {
        const int count = 10_000;
        var input = new MemoryStream();
        for (int i = 0; i < count; i++)
        {
            input.Write(RespTestClient.Encode("SET", $"pipe:{i}", $"value-{i}"));
        }

        var result = await RunAsync("redis-cli", ["-p", Port, "--pipe"], input.ToArray());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"errors: 0, replies: {count}", result.StandardOutput + result.StandardError);

        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("$value-0", (await client.SendAsync("GET", "pipe:0")).ToString());
        Assert.Equal($"$value-{count - 1}", (await client.SendAsync("GET", $"pipe:{count - 1}")).ToString());
    }

    [RedisFact("redis-cli")]
    public async Task RedisCliSpeaksResp3AfterHello()
    {
        // -3 makes redis-cli send HELLO 3 on connect; the map reply shows it was accepted.
        var hello = await CliAsync("-3", "HELLO", "3");
        Assert.Contains("\"proto\"", hello.StandardOutput);
        Assert.Matches(@"\d+# ""proto"" => \(integer\) 3", hello.StandardOutput);
        Assert.DoesNotContain("ERR", hello.StandardOutput);

        var set = await CliAsync("-3", "SET", "cli:resp3", "v");
        Assert.Equal("OK", set.StandardOutput.Trim());
        var get = await CliAsync("-3", "GET", "cli:resp3");
        Assert.Equal("\"v\"", get.StandardOutput.Trim());
        var missing = await CliAsync("-3", "GET", "cli:nothing");
        Assert.Equal("(nil)", missing.StandardOutput.Trim());
    }

    [RedisFact("redis-benchmark")]
    public async Task RedisBenchmarkQuickRunCompletesWithoutErrors()
    {
        var result = await RunAsync("redis-benchmark", ["-p", Port, "-n", "2000", "-t", "set,get,incr,mset", "-q"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        string output = result.StandardOutput + result.StandardError;
        foreach (var test in new[] { "SET", "GET", "INCR", "MSET" })
        {
            Assert.Matches($@"(?m)^\s*{test}[^:\n]*: [\d.]+ requests per second", output.Replace("\r", "\n", StringComparison.Ordinal));
        }

        Assert.DoesNotContain("ERR", output);
        Assert.DoesNotContain("Error", output);

        // redis-benchmark reads CONFIG GET save/appendonly first and warns when it cannot.
        Assert.DoesNotContain("Could not fetch server CONFIG", output);
    }

    private async Task<ProcessResult> CliAsync(params string[] args)
    {
        // --no-raw keeps redis-cli's human formatting ("(nil)", quoted strings) even without a TTY.
        var result = await RunAsync("redis-cli", ["-p", Port, "--no-raw", .. args]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static async Task<ProcessResult> RunAsync(string tool, string[] args, byte[]? input = null)
    {
        var path = RedisBinaries.Require(tool);
        return await ExternalProcess.RunAsync(path, args, ToolTimeout, input ?? Encoding.ASCII.GetBytes(""));
    }
}
