namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The same seeded random stream of string, key and connection commands goes to kv-server and to a
/// real redis-server; every reply must agree (seeds and length: <see cref="StreamSettings"/>).
/// </summary>
public sealed class RandomCommandStreamTests : IClassFixture<RedisServerFixture>
{
    private const double UnknownCommandShare = 0.03;
    private const double WrongArityShare = 0.05;
    private static readonly string[] UnknownNames = ["foo", "getx", "sett", "kvnope", "incrx", "DELL", "x"];
    private readonly RedisServerFixture _fixture;

    public RandomCommandStreamTests(RedisServerFixture fixture) => _fixture = fixture;

    private static int Steps => StreamSettings.Steps(2000);

    [RedisTheory]
    [MemberData(nameof(StreamSettings.SeedsAndProtocols), MemberType = typeof(StreamSettings))]
    public async Task SeededStreamGetsTheSameRepliesAsRedis(int seed, int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(seed, protocol);
        await session.SendBothAsync(["FLUSHALL"]);

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
