using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The same seeded random stream of string, key and connection commands goes to kv-server and to a
/// real redis-server; every reply must agree. Seeds are fixed so a failure reproduces; run others with
/// <c>KV_COMPAT_SEEDS=7,8,9</c> and longer streams with <c>KV_COMPAT_STEPS=20000</c>.
/// </summary>
public sealed class RandomCommandStreamTests : IClassFixture<RedisServerFixture>
{
    private const double UnknownCommandShare = 0.03;
    private const double WrongArityShare = 0.05;
    private static readonly string[] UnknownNames = ["foo", "getx", "sett", "kvnope", "incrx", "DELL", "x"];
    private readonly RedisServerFixture _fixture;

    public RandomCommandStreamTests(RedisServerFixture fixture) => _fixture = fixture;

    /// <summary>Each seed runs under RESP2 and under RESP3 (after HELLO 3), whose reply types differ (maps, nulls, doubles).</summary>
    public static TheoryData<int, int> Seeds()
    {
        var seeds = new TheoryData<int, int>();
        var configured = Environment.GetEnvironmentVariable("KV_COMPAT_SEEDS");
        IEnumerable<int> list = string.IsNullOrWhiteSpace(configured)
            ? [1, 2, 3]
            : configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(seed => int.Parse(seed, CultureInfo.InvariantCulture));
        foreach (int seed in list)
        {
            seeds.Add(seed, 2);
            seeds.Add(seed, 3);
        }

        return seeds;
    }

    private static int Steps => int.TryParse(Environment.GetEnvironmentVariable("KV_COMPAT_STEPS"), CultureInfo.InvariantCulture, out int steps) ? steps : 2000;

    [RedisTheory]
    [MemberData(nameof(Seeds))]
    public async Task SeededStreamGetsTheSameRepliesAsRedis(int seed, int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        if (protocol == 3)
        {
            // HELLO's reply names the server and the client id, so it is checked, not compared.
            var (kvHello, redisHello) = await session.SendBothAsync(["HELLO", "3"]);
            Assert.True(kvHello.Type == '%' && redisHello.Type == '%', $"HELLO 3: kv-server {kvHello}, redis-server {redisHello}");
        }

        var stream = new CommandStream(seed);
        var commands = CompatCommands.All;
        var withArity = commands.Where(c => c.Arity is not (0 or -1)).ToList();
        int totalWeight = commands.Sum(c => c.Weight);
        var used = new HashSet<string>(StringComparer.Ordinal);
        int errors = 0;

        for (int step = 0; step < Steps; step++)
        {
            double roll = stream.Random.NextDouble();
            if (roll < UnknownCommandShare)
            {
                object[] unknown = [stream.Pick(UnknownNames), .. Enumerable.Range(0, stream.Random.Next(0, 4)).Select(_ => stream.Text())];
                await session.CompareAsync(unknown);
                continue;
            }

            if (roll < UnknownCommandShare + WrongArityShare)
            {
                await session.CompareAsync(WrongArity(stream, stream.Pick([.. withArity])));
                continue;
            }

            var command = PickWeighted(stream, commands, totalWeight);
            used.Add(command.Name);
            var args = command.Generate(stream);
            if (command.Kind == StepKind.ScanIteration)
            {
                await session.CompareScanAsync(args);
                continue;
            }

            var reply = await session.CompareAsync(args, command.Match);
            if (reply.IsError)
            {
                errors++;
            }
        }

        // The stream must exercise what it claims to: every enabled command, mostly valid calls.
        var unused = commands.Where(c => !used.Contains(c.Name)).Select(c => c.Name).ToList();
        Assert.True(unused.Count == 0 || Steps < 1000, $"Commands never generated in {Steps} steps: {string.Join(", ", unused)}");
        Assert.True(errors < Steps / 2, $"{errors} of {Steps} commands were errors; the stream mostly tests error paths.");
    }

    /// <summary>Every command of the stream is in kv-server's command table (otherwise the stream would compare "unknown command" errors).</summary>
    [Fact]
    public async Task StreamCommandsAreKnownToKvServer()
    {
        await using var kv = await Infrastructure.RespTestClient.ConnectAsync(_fixture.Kv.Port);
        var missing = new List<string>();
        foreach (var command in CompatCommands.All)
        {
            var reply = await kv.SendAsync([.. command.Name.Split('|'), "x", "x", "x", "x", "x", "x"]);
            if ((reply.Text ?? "").StartsWith("ERR unknown command", StringComparison.Ordinal))
            {
                missing.Add(command.Name);
            }
        }

        Assert.True(missing.Count == 0, $"Not implemented by kv-server: {string.Join(", ", missing)}.");
    }

    private static CompatCommand PickWeighted(CommandStream stream, IReadOnlyList<CompatCommand> commands, int totalWeight)
    {
        int ticket = stream.Random.Next(totalWeight);
        foreach (var command in commands)
        {
            ticket -= command.Weight;
            if (ticket < 0)
            {
                return command;
            }
        }

        return commands[^1];
    }

    /// <summary>The command with an argument count its arity rejects (Redis checks arity before anything else).</summary>
    private static object[] WrongArity(CommandStream stream, CompatCommand command)
    {
        var words = command.Name.Split('|');
        int required = Math.Abs(command.Arity);
        var counts = new List<int>();
        for (int n = words.Length; n < required; n++)
        {
            counts.Add(n);
        }

        if (command.Arity > 0)
        {
            counts.Add(required + 1);
            counts.Add(required + 2);
        }

        int count = stream.Pick([.. counts]);
        var args = new List<object>();
        foreach (var word in words)
        {
            args.Add(stream.Word(word));
        }

        while (args.Count < count)
        {
            args.Add(stream.Chance(0.5) ? stream.Key() : stream.Value());
        }

        return [.. args];
    }
}
