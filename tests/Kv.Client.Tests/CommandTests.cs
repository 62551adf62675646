using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>The typed API against kv-server and redis-server, in RESP2 and RESP3.</summary>
public sealed class CommandTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task StringCommands(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        Assert.Equal(protocol, client.Protocol);
        string key = Key("str");
        Assert.True((await client.GetAsync(key)).IsNull);
        Assert.True(await client.SetAsync(key, "hello"));
        Assert.Equal("hello", (await client.GetAsync(key)).ToString());
        Assert.False(await client.SetAsync(key, "other", when: KvWhen.NotExists));
        Assert.True(await client.SetAsync(key, new byte[] { 0, 1, 2, 255 }, when: KvWhen.Exists));
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, (byte[]?)await client.GetAsync(key));
        Assert.Equal(4, await client.StrLenAsync(key));
        Assert.Equal(7, await client.AppendAsync(key, "abc"));
        Assert.Equal("bc", (await client.GetRangeAsync(key, -2, -1)).ToString());

        string counter = Key("n");
        Assert.Equal(1, await client.IncrByAsync(counter));
        Assert.Equal(11, await client.IncrByAsync(counter, 10));
        Assert.Equal(10, await client.DecrByAsync(counter));
        Assert.Equal(10.5, await client.IncrByFloatAsync(counter, 0.5));
        Assert.Equal(10.5, (double)await client.GetAsync(counter));

        string a = Key("a"), b = Key("b");
        Assert.True(await client.MSetAsync(new(a, 1L), new(b, 2.5)));
        var values = await client.MGetAsync(a, b, Key("missing"));
        Assert.Equal(1L, (long)values[0]);
        Assert.Equal(2.5, (double)values[1]);
        Assert.True(values[2].IsNull);
        Assert.Equal("1", (await client.GetDelAsync(a)).ToString());
        Assert.Equal(0, await client.ExistsAsync(a));
        Assert.Equal(5, await client.SetRangeAsync(b, 3, "xy"));
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task KeysAndExpiry(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string key = Key("k"), renamed = Key("r");
        await client.SetAsync(key, "v", TimeSpan.FromSeconds(100));
        var ttl = await client.TtlAsync(key);
        Assert.InRange(ttl!.Value.TotalSeconds, 90, 100);
        Assert.True(await client.PersistAsync(key));
        Assert.Null(await client.TtlAsync(key));
        Assert.True(await client.ExpireAsync(key, TimeSpan.FromMinutes(5)));
        Assert.True(await client.ExpireAtAsync(key, DateTimeOffset.UtcNow.AddHours(1)));
        Assert.InRange((await client.TtlAsync(key))!.Value.TotalMinutes, 55, 60);
        Assert.Equal("string", await client.TypeAsync(key));
        Assert.True(await client.RenameAsync(key, renamed));
        Assert.Equal("none", await client.TypeAsync(key));
        await client.SetAsync(key, "again");
        Assert.False(await client.RenameAsync(key, renamed, KvWhen.NotExists));
        Assert.Equal(2, await client.ExistsAsync(key, renamed));
        Assert.Equal(1, await client.UnlinkAsync(key));
        Assert.Equal(1, await client.DelAsync(renamed, Key("missing")));
        Assert.False(await client.ExpireAsync(renamed, TimeSpan.FromSeconds(1)));
        var error = await Assert.ThrowsAsync<KvServerException>(async () => await client.RenameAsync(Key("none"), renamed));
        Assert.Equal("ERR", error.Prefix);
        Assert.Contains("no such key", error.Message);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task Hashes(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string key = Key("h");
        Assert.True(await client.HSetAsync(key, "a", "1"));
        Assert.False(await client.HSetAsync(key, "a", "2"));
        Assert.Equal(2, await client.HSetAsync(key, new KvHashEntry("b", "x"), new KvHashEntry("c", 3)));
        Assert.False(await client.HSetNxAsync(key, "b", "y"));
        Assert.Equal("2", (await client.HGetAsync(key, "a")).ToString());
        var many = await client.HMGetAsync(key, "a", "zz", "c");
        Assert.True(many[1].IsNull);
        Assert.Equal(3L, (long)many[2]);
        var all = await client.HGetAllAsync(key);
        Assert.Equal(["a=2", "b=x", "c=3"], all.Select(e => $"{e.Field}={e.Value}").Order().ToArray());
        Assert.Equal(3, await client.HLenAsync(key));
        Assert.Equal(["a", "b", "c"], (await client.HKeysAsync(key)).Select(v => v.ToString()).Order().ToArray());
        Assert.Equal(3, (await client.HValsAsync(key)).Length);
        Assert.True(await client.HExistsAsync(key, "c"));
        Assert.Equal(12, await client.HIncrByAsync(key, "a", 10));
        Assert.Equal(3.5, await client.HIncrByFloatAsync(key, "c", 0.5));
        Assert.Equal(1, await client.HStrLenAsync(key, "b"));
        Assert.Equal(2, await client.HDelAsync(key, "a", "b", "nope"));
        var scanned = new List<string>();
        await foreach (var entry in client.HScanAsync(key))
        {
            scanned.Add($"{entry.Field}={entry.Value}");
        }

        Assert.Equal(["c=3.5"], scanned);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task Lists(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string key = Key("l"), other = Key("l2");
        Assert.Equal(3, await client.RPushAsync(key, "b", "c", "d"));
        Assert.Equal(4, await client.LPushAsync(key, "a"));
        Assert.Equal(["a", "b", "c", "d"], (await client.LRangeAsync(key)).Select(v => v.ToString()).ToArray());
        Assert.Equal("c", (await client.LIndexAsync(key, -2)).ToString());
        Assert.True(await client.LSetAsync(key, 0, "A"));
        Assert.Equal("A", (await client.LPopAsync(key)).ToString());
        Assert.Equal("d", (await client.RPopAsync(key)).ToString());
        Assert.Equal(["b", "c"], (await client.LPopAsync(key, 5)).Select(v => v.ToString()).ToArray());
        Assert.True((await client.LPopAsync(key)).IsNull);
        await client.RPushAsync(key, "x", "y", "x", "z");
        Assert.Equal(2, await client.LRemAsync(key, 0, "x"));
        Assert.True(await client.LTrimAsync(key, 0, 0));
        Assert.Equal(1, await client.LLenAsync(key));
        Assert.Equal("y", (await client.LMoveAsync(key, other, fromLeft: true, toLeft: false)).ToString());
        Assert.Equal(["y"], (await client.RPopAsync(other, 2)).Select(v => v.ToString()).ToArray());
        var wrongType = Key("s");
        await client.SetAsync(wrongType, "v");
        var error = await Assert.ThrowsAsync<KvServerException>(async () => await client.LPushAsync(wrongType, "x"));
        Assert.Equal("WRONGTYPE", error.Prefix);
        Assert.Contains("LPUSH", error.Message);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task Sets(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string a = Key("sa"), b = Key("sb");
        Assert.Equal(3, await client.SAddAsync(a, "1", "2", "3"));
        Assert.Equal(2, await client.SAddAsync(b, "3", "4"));
        Assert.True(await client.SIsMemberAsync(a, "2"));
        Assert.Equal(new[] { true, false }, await client.SMIsMemberAsync(a, "1", "9"));
        Assert.Equal(3, await client.SCardAsync(a));
        Assert.Equal(["1", "2", "3"], Sorted(await client.SMembersAsync(a)));
        Assert.Equal(["3"], Sorted(await client.SInterAsync(a, b)));
        Assert.Equal(["1", "2", "3", "4"], Sorted(await client.SUnionAsync(a, b)));
        Assert.Equal(["1", "2"], Sorted(await client.SDiffAsync(a, b)));
        Assert.True(await client.SMoveAsync(a, b, "1"));
        Assert.Equal(1, await client.SRemAsync(a, "2"));
        Assert.Equal(["3"], Sorted(await client.SRandMemberAsync(a, 5)));
        Assert.Equal("3", (await client.SPopAsync(a)).ToString());
        var members = new List<string>();
        await foreach (var member in client.SScanAsync(b, pageSize: 1))
        {
            members.Add(member.ToString());
        }

        Assert.Equal(["1", "3", "4"], members.Order().ToArray());
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task SortedSets(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string key = Key("z"), stored = Key("zs");
        Assert.True(await client.ZAddAsync(key, "a", 1));
        Assert.Equal(3, await client.ZAddAsync(key, new KvSortedSetEntry("b", 2), new KvSortedSetEntry("c", 3), new KvSortedSetEntry("d", 4.5)));
        Assert.False(await client.ZAddAsync(key, "a", 10, KvWhen.NotExists));
        Assert.Equal(4, await client.ZCardAsync(key));
        Assert.Equal(4.5, await client.ZScoreAsync(key, "d"));
        Assert.Null(await client.ZScoreAsync(key, "zz"));
        Assert.Equal([1.0, null], await client.ZMScoreAsync(key, "a", "zz"));
        Assert.Equal(2, await client.ZRankAsync(key, "c"));
        Assert.Equal(0, await client.ZRankAsync(key, "d", reverse: true));
        Assert.Null(await client.ZRankAsync(key, "zz"));
        Assert.Equal(2, await client.ZCountAsync(key, "(1", 3));
        Assert.Equal(5, await client.ZIncrByAsync(key, "b", 3));

        // ZRANGE in all its forms.
        Assert.Equal(["a", "c", "d", "b"], Strings(await client.ZRangeAsync(key, 0, -1)));
        Assert.Equal(["b", "d"], Strings(await client.ZRangeAsync(key, 0, 1, new KvRangeOptions(Reverse: true))));
        Assert.Equal(["c", "d"], Strings(await client.ZRangeAsync(key, "(1", "4.5", new KvRangeOptions(KvRangeBy.Score))));
        Assert.Equal(["d", "c"], Strings(await client.ZRangeAsync(key, "+inf", "-inf", new KvRangeOptions(KvRangeBy.Score, Reverse: true, Offset: 1, Count: 2))));
        var withScores = await client.ZRangeWithScoresAsync(key, 0, 1);
        Assert.Equal([new KvSortedSetEntry("a", 1), new KvSortedSetEntry("c", 3)], withScores);
        Assert.Equal(2, await client.ZRangeStoreAsync(stored, key, "-inf", 3, new KvRangeOptions(KvRangeBy.Score)));
        string lex = Key("lex");
        await client.ZAddAsync(lex, new KvSortedSetEntry("apple", 0), new KvSortedSetEntry("banana", 0), new KvSortedSetEntry("cherry", 0));
        Assert.Equal(["banana", "cherry"], Strings(await client.ZRangeAsync(lex, "[b", "+", new KvRangeOptions(KvRangeBy.Lex))));
        Assert.Equal(["banana"], Strings(await client.ZRangeAsync(lex, "+", "(a", new KvRangeOptions(KvRangeBy.Lex, Reverse: true, Offset: 1, Count: 1))));

        Assert.Equal([new KvSortedSetEntry("a", 1)], await client.ZPopAsync(key));
        Assert.Equal([new KvSortedSetEntry("b", 5), new KvSortedSetEntry("d", 4.5)], await client.ZPopAsync(key, 2, max: true));
        Assert.Equal(1, await client.ZRemAsync(key, "c", "zz"));
        Assert.Equal(1, await client.ZRemRangeByScoreAsync(stored, 3, 3));
        var scanned = new List<KvSortedSetEntry>();
        await foreach (var entry in client.ZScanAsync(stored))
        {
            scanned.Add(entry);
        }

        Assert.Equal([new KvSortedSetEntry("a", 1)], scanned);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task ScanWalksEveryKey(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string prefix = Key("scan");
        var batch = client.CreateBatch();
        var sets = new List<ValueTask<bool>>();
        for (int i = 0; i < 250; i++)
        {
            sets.Add(batch.SetAsync($"{prefix}:{i}", i));
        }

        batch.Execute();
        foreach (var set in sets)
        {
            Assert.True(await set);
        }

        var seen = new HashSet<string>();
        await foreach (var key in client.ScanAsync(prefix + ":*", pageSize: 20))
        {
            seen.Add(key.ToString());
        }

        Assert.Equal(250, seen.Count);
        int strings = 0;
        await foreach (var key in client.ScanAsync(prefix + ":1*", type: "string"))
        {
            strings++;
        }

        Assert.Equal(1 + 10 + 100, strings);
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task ExecuteAsyncExposesRepliesFaithfully(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        string hash = Key("h"), zset = Key("z");
        await client.HSetAsync(hash, "f", "v");
        var map = await client.ExecuteAsync("HGETALL", hash);
        Assert.Equal(protocol == 3 ? KvResultType.Map : KvResultType.Array, map.Type);
        Assert.Equal(new[] { "f", "v" }, map.Items.ToArray().Select(r => r.AsString()!).ToArray());

        await client.ZAddAsync(zset, "m", 1.5);
        var score = await client.ExecuteAsync("ZSCORE", zset, "m");
        Assert.Equal(protocol == 3 ? KvResultType.Double : KvResultType.BulkString, score.Type);
        Assert.Equal(1.5, score.AsDouble());

        var missing = await client.ExecuteAsync("GET", Key("missing"));
        Assert.True(missing.IsNull);
        Assert.Equal("(nil)", missing.ToString());
        Assert.Equal(KvResultType.Integer, (await client.ExecuteAsync("EXISTS", hash)).Type);
        var ok = await client.ExecuteAsync("SET", Key("s"), "v");
        Assert.Equal(KvResultType.SimpleString, ok.Type);
        Assert.True(ok.AsBoolean());
        var members = await client.ExecuteAsync("SMEMBERS", Key("empty"));
        Assert.Equal(protocol == 3 ? KvResultType.Set : KvResultType.Array, members.Type);
        Assert.Equal(0, members.Count);

        var error = await Assert.ThrowsAsync<KvServerException>(async () => await client.ExecuteAsync("NOSUCHCOMMAND", "x"));
        Assert.Equal("ERR", error.Prefix);
        Assert.StartsWith("ERR unknown command", error.ServerMessage);
        Assert.Equal("NOSUCHCOMMAND", error.Command);
        var wrong = await Assert.ThrowsAsync<KvServerException>(async () => await client.ExecuteAsync("INCR", hash));
        Assert.Equal("WRONGTYPE", wrong.Prefix);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task LargeValuesRoundTrip(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string key = Key("big");
        var value = new byte[3 * 1024 * 1024 + 17];
        new Random(7).NextBytes(value);
        await client.SetAsync(key, value);
        var read = await client.GetAsync(key);
        Assert.True(value.AsSpan().SequenceEqual(read.Memory.Span));
        string text = new('é', 300_000);
        await client.SetAsync(key, text);
        Assert.Equal(text, (await client.GetAsync(key)).ToString());
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task ConcurrentCallersGetTheirOwnReplies(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string prefix = Key("c");
        var tasks = Enumerable.Range(0, 1000).Select(async i =>
        {
            string key = $"{prefix}:{i}";
            await client.SetAsync(key, i);
            for (int n = 0; n < 5; n++)
            {
                Assert.Equal(i, (long)await client.GetAsync(key));
            }
        });
        await Task.WhenAll(tasks);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task BatchSendsCommandsTogether(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        string key = Key("b");
        var batch = client.CreateBatch();
        var set = batch.SetAsync(key, "1");
        var incr = batch.Add("INCR", key);
        var get = batch.GetAsync(key);
        var bad = batch.Add("LPUSH", key, "x");
        Assert.Equal(4, batch.Count);
        batch.Execute();
        Assert.Equal(0, batch.Count);
        Assert.True(await set);
        Assert.Equal(2, (await incr).AsInt64());
        Assert.Equal("2", (await get).ToString());
        Assert.Equal("WRONGTYPE", (await Assert.ThrowsAsync<KvServerException>(async () => await bad)).Prefix);
    }

    private static string[] Strings(KvValue[] values) => values.Select(v => v.ToString()).ToArray();

    private static string[] Sorted(KvValue[] values) => values.Select(v => v.ToString()).Order().ToArray();
}
