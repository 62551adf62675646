using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// COMMAND, COMMAND INFO, COMMAND DOCS, COMMAND COUNT and COMMAND LIST for every row of kv-server's
/// command table, compared with a real redis-server 7.0: the replies must be identical. Only Redis's
/// hash orders are compared as sets: the subcommands of a container (a dict in Redis) and the order of
/// COMMAND / COMMAND LIST. Flags, ACL categories and key-spec flags are printed by Redis in a fixed
/// order (addReplyCommandFlags, ACLCommandCategories, addReplyFlagsForKeyArgs), so they are compared in order.
/// </summary>
public sealed class CommandTableCompatTests : IClassFixture<RedisServerFixture>
{
    /// <summary>
    /// Rows kv-server has that Redis 7.0 has not: CLIENT SETINFO (Redis 7.2), which clients send on connect,
    /// and Redis 7.4's hash field expiration commands.
    /// </summary>
    private static readonly HashSet<string> NewerThanRedis70 =
    [
        "client|setinfo",
        "hexpire", "hpexpire", "hexpireat", "hpexpireat", "httl", "hpttl", "hexpiretime", "hpexpiretime", "hpersist",
    ];

    private readonly RedisServerFixture _fixture;

    public CommandTableCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    private KvServer Kv => _fixture.Kv;

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task InfoOfEveryCommandMatchesRedis(int protocol)
    {
        await using var kv = await ConnectAsync(Kv.Port, protocol);
        await using var redis = await ConnectAsync(_fixture.RedisPort, protocol);
        var failures = new List<string>();
        foreach (string name in RowNames())
        {
            var expected = (await redis.SendAsync("COMMAND", "INFO", name)).Items![0];
            var actual = (await kv.SendAsync("COMMAND", "INFO", name)).Items![0];
            CompareInfo(name, expected, actual, failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task DocsOfEveryCommandMatchesRedis(int protocol)
    {
        await using var kv = await ConnectAsync(Kv.Port, protocol);
        await using var redis = await ConnectAsync(_fixture.RedisPort, protocol);
        var failures = new List<string>();
        foreach (string name in RowNames())
        {
            // Both replies are a one-entry map (a flat array in RESP2): name, docs.
            var expected = await redis.SendAsync("COMMAND", "DOCS", name);
            var actual = await kv.SendAsync("COMMAND", "DOCS", name);
            if (expected.Type != actual.Type || expected.Items!.Count != 2 || actual.Items!.Count != 2 || expected.Items[0].ToString() != actual.Items[0].ToString())
            {
                failures.Add($"{name}: redis {expected}\n  kv    {actual}");
                continue;
            }

            CompareDocs(name, expected.Items[1], actual.Items[1], failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    // COMMAND (no arguments) renders each row as COMMAND INFO does; Redis's order is its dict's order.
    [RedisFact]
    public async Task CommandListsEveryRowAsRedisDoes()
    {
        await using var kv = await ConnectAsync(Kv.Port, 2);
        await using var redis = await ConnectAsync(_fixture.RedisPort, 2);
        var redisByName = (await redis.SendAsync("COMMAND")).Items!.ToDictionary(entry => entry.Items![0].Text!);
        var all = (await kv.SendAsync("COMMAND")).Items!;
        Assert.Equal(Kv.State.Commands.Count, all.Count);
        var failures = new List<string>();
        foreach (var entry in all)
        {
            string name = entry.Items![0].Text!;
            if (NewerThanRedis70.Contains(name))
            {
                continue;
            }

            if (!redisByName.TryGetValue(name, out var expected))
            {
                failures.Add($"{name}: not a Redis 7.0 command");
                continue;
            }

            CompareInfo(name, expected, entry, failures);
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [RedisFact]
    public async Task CountIsTheNumberOfRowsAndEveryListedNameIsARedisCommand()
    {
        await using var kv = await ConnectAsync(Kv.Port, 2);
        await using var redis = await ConnectAsync(_fixture.RedisPort, 2);
        Assert.Equal($":{Kv.State.Commands.Count}", (await kv.SendAsync("COMMAND", "COUNT")).ToString());

        var listed = (await kv.SendAsync("COMMAND", "LIST")).Items!.Select(item => item.Text!).ToList();
        Assert.Equal(AllRowNames().Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));

        var redisNames = (await redis.SendAsync("COMMAND", "LIST")).Items!.Select(item => item.Text!).ToHashSet();
        var notInRedis = listed.Where(name => !redisNames.Contains(name)).ToHashSet();
        Assert.True(notInRedis.SetEquals(NewerThanRedis70), $"kv-server lists names Redis 7.0 has not: {string.Join(", ", notInRedis)}");
    }

    // GETKEYS / GETKEYSANDFLAGS walk the key specs; a few shapes: one key, ranges, steps, two specs, SET's GET.
    [RedisTheory]
    [InlineData("GET k")]
    [InlineData("SET k v")]
    [InlineData("SET k v EX 10 GET")]
    [InlineData("MSET a 1 b 2")]
    [InlineData("MSET a 1 b")]
    [InlineData("DEL a b c")]
    [InlineData("RENAME a b")]
    [InlineData("COPY a b DB 1")]
    [InlineData("BITOP AND d s1 s2")]
    [InlineData("LCS a b")]
    [InlineData("OBJECT ENCODING k")]
    [InlineData("OBJECT HELP")]
    [InlineData("GETEX k PERSIST")]
    [InlineData("PING")]
    [InlineData("TIME x")]
    [InlineData("GET a b")]
    [InlineData("NOSUCH a")]
    public async Task GetKeysMatchesRedis(string command)
    {
        await using var kv = await ConnectAsync(Kv.Port, 2);
        await using var redis = await ConnectAsync(_fixture.RedisPort, 2);
        foreach (string subcommand in new[] { "GETKEYS", "GETKEYSANDFLAGS" })
        {
            object[] args = ["COMMAND", subcommand, .. command.Split(' ')];
            Assert.Equal((await redis.SendAsync(args)).ToString(), (await kv.SendAsync(args)).ToString());
        }
    }

    /// <summary>Every row's full name (<c>get</c>, <c>client|kill</c>) except names Redis 7.0 does not have.</summary>
    private List<string> RowNames() => AllRowNames().Where(name => !NewerThanRedis70.Contains(name)).ToList();

    private List<string> AllRowNames()
    {
        var names = new List<string>();
        foreach (var command in Kv.State.Commands.All)
        {
            names.Add(command.FullName);
            foreach (var sub in command.Subcommands.Values)
            {
                names.Add(sub.FullName);
            }
        }

        return names;
    }

    // An INFO entry is [name, arity, flags, first, last, step, acl, tips, key specs, subcommands]; a
    // container's subcommands are compared by name (Redis replies them in its dict's hash order) and
    // kv-server may implement fewer of them than Redis has.
    private static void CompareInfo(string name, RespReply expected, RespReply actual, List<string> failures)
    {
        if (expected.Items is not { Count: 10 } || actual.Items is not { Count: 10 })
        {
            failures.Add($"{name}: redis {expected}\n  kv    {actual}");
            return;
        }

        string expectedHead = string.Join(", ", expected.Items.Take(9));
        string actualHead = string.Join(", ", actual.Items.Take(9));
        if (expectedHead != actualHead)
        {
            failures.Add($"{name}: redis {expectedHead}\n  kv    {actualHead}");
        }

        var expectedSubs = expected.Items[9];
        var actualSubs = actual.Items[9];
        if (expectedSubs.Type != actualSubs.Type)
        {
            failures.Add($"{name} subcommands: redis {expectedSubs}\n  kv    {actualSubs}");
            return;
        }

        var redisSubs = expectedSubs.Items!.ToDictionary(sub => sub.Items![0].Text!, sub => sub.ToString());
        foreach (var sub in actualSubs.Items!)
        {
            string subName = sub.Items![0].Text!;
            if (NewerThanRedis70.Contains(subName))
            {
                continue;
            }

            if (!redisSubs.TryGetValue(subName, out string? redisSub))
            {
                failures.Add($"{subName}: not a Redis 7.0 subcommand");
            }
            else if (redisSub != sub.ToString())
            {
                failures.Add($"{subName} (in {name}): redis {redisSub}\n  kv    {sub}");
            }
        }
    }

    // Docs are a map (a flat array in RESP2) in Redis's field order; "subcommands" maps full names to docs.
    private static void CompareDocs(string name, RespReply expected, RespReply actual, List<string> failures)
    {
        var (expectedFields, expectedSubs) = SplitSubcommands(expected);
        var (actualFields, actualSubs) = SplitSubcommands(actual);
        if (expected.Type != actual.Type || expectedFields != actualFields)
        {
            failures.Add($"{name} docs: redis {expectedFields}\n  kv    {actualFields}");
        }

        if ((expectedSubs is null) != (actualSubs is null))
        {
            failures.Add($"{name} docs: subcommands in one reply only");
            return;
        }

        if (expectedSubs is null || actualSubs is null)
        {
            return;
        }

        var redisSubs = new Dictionary<string, RespReply>();
        for (int i = 0; i < expectedSubs.Items!.Count; i += 2)
        {
            redisSubs[expectedSubs.Items[i].Text!] = expectedSubs.Items[i + 1];
        }

        for (int i = 0; i < actualSubs.Items!.Count; i += 2)
        {
            string subName = actualSubs.Items[i].Text!;
            if (NewerThanRedis70.Contains(subName))
            {
                continue;
            }

            if (!redisSubs.TryGetValue(subName, out var redisSub))
            {
                failures.Add($"{subName}: not a Redis 7.0 subcommand");
            }
            else
            {
                CompareDocs(subName, redisSub, actualSubs.Items[i + 1], failures);
            }
        }
    }

    private static (string Fields, RespReply? Subcommands) SplitSubcommands(RespReply docs)
    {
        var fields = new List<string>();
        RespReply? subcommands = null;
        for (int i = 0; i + 1 < docs.Items!.Count; i += 2)
        {
            if (docs.Items[i].Text == "subcommands")
            {
                subcommands = docs.Items[i + 1];
            }
            else
            {
                fields.Add($"{docs.Items[i]}: {docs.Items[i + 1]}");
            }
        }

        return (string.Join(", ", fields), subcommands);
    }

    private static async Task<RespTestClient> ConnectAsync(int port, int protocol)
    {
        var client = await RespTestClient.ConnectAsync(port);
        if (protocol == 3)
        {
            Assert.False((await client.SendAsync("HELLO", "3")).IsError);
        }

        return client;
    }
}
