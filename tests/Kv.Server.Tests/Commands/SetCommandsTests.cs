using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>Set commands over real sockets: replies, encodings, key lifecycle and Redis 7.0's error texts.</summary>
public sealed class SetCommandsTests : IClassFixture<KvServerFixture>
{
    private const string WrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value";
    private readonly KvServerFixture _fixture;

    public SetCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    private static async Task<string> Send(RespTestClient c, params object[] args) => (await c.SendAsync(args)).ToString();

    private static List<string> Members(RespReply reply) => reply.Items!.Select(i => i.Text!).ToList();

    [Fact]
    public async Task SAddSRemSCardSIsMemberSMIsMember()
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal(":3", await Send(c, "SADD", "basic", "a", "b", "c"));
        Assert.Equal(":1", await Send(c, "SADD", "basic", "a", "d", "d"));
        Assert.Equal(":4", await Send(c, "SCARD", "basic"));
        Assert.Equal(":1", await Send(c, "SISMEMBER", "basic", "a"));
        Assert.Equal(":0", await Send(c, "SISMEMBER", "basic", "z"));
        Assert.Equal(":0", await Send(c, "SISMEMBER", "basic:missing", "z"));
        Assert.Equal("*[:1, :0, :1]", await Send(c, "SMISMEMBER", "basic", "a", "z", "d"));
        Assert.Equal("*[:0, :0]", await Send(c, "SMISMEMBER", "basic:missing", "a", "b"));
        Assert.Equal(":2", await Send(c, "SREM", "basic", "a", "b", "zz"));
        Assert.Equal(":0", await Send(c, "SREM", "basic:missing", "a"));
        Assert.Equal("+set", await Send(c, "TYPE", "basic"));

        // The key goes away with its last member.
        Assert.Equal(":2", await Send(c, "SREM", "basic", "c", "d", "c"));
        Assert.Equal(":0", await Send(c, "EXISTS", "basic"));
        Assert.Equal(":0", await Send(c, "SCARD", "basic"));
    }

    [Fact]
    public async Task IntsetIsSortedAndConvertsOnceToHashtable()
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal(":5", await Send(c, "SADD", "ints", "3", "1", "2", "-5", "10"));
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "ints"));
        Assert.Equal("*[$-5, $1, $2, $3, $10]", await Send(c, "SMEMBERS", "ints"));

        // Not string2ll integers: leading zero, "-0", "+1", spaces.
        foreach (var notInteger in new[] { "007", "-0", "+1", " 1" })
        {
            await Send(c, "DEL", "notint");
            await Send(c, "SADD", "notint", notInteger);
            Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "notint"));
        }

        // A non-integer member converts; removing it does not convert back.
        Assert.Equal(":1", await Send(c, "SADD", "ints", "x"));
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "ints"));
        Assert.Equal(":1", await Send(c, "SREM", "ints", "x"));
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "ints"));
        Assert.Equal(":1", await Send(c, "SISMEMBER", "ints", "10"));
        Assert.Equal(":0", await Send(c, "SISMEMBER", "ints", "010"));

        // 512 integers stay an intset, the 513th converts (set-max-intset-entries).
        var args = new List<object> { "SADD", "many" };
        for (int i = 0; i < 512; i++)
        {
            args.Add(i * 7);
        }

        Assert.Equal(":512", await Send(c, [.. args]));
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "many"));
        Assert.Equal(":1", await Send(c, "SADD", "many", "-1"));
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "many"));
        Assert.Equal(":513", await Send(c, "SCARD", "many"));
        Assert.Equal(":1", await Send(c, "SISMEMBER", "many", "3577"));
    }

    [Fact]
    public async Task SetMaxIntsetEntriesIsReadAtEveryAdd()
    {
        await using var server = await KvServerFixture.StartAsync(["--set-max-intset-entries", "2"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await Send(c, "SADD", "s", "1", "2");
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "s"));
        await Send(c, "SADD", "s", "3");
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "s"));
        Assert.Equal("+OK", await Send(c, "CONFIG", "SET", "set-max-intset-entries", "0"));
        await Send(c, "SADD", "one", "1");
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "one"));
    }

    [Fact]
    public async Task WrongTypeOnEveryCommand()
    {
        await using var c = await _fixture.ConnectAsync();
        await Send(c, "SET", "wt:str", "v");
        await Send(c, "SADD", "wt:set", "a");
        object[][] commands =
        [
            ["SADD", "wt:str", "a"], ["SREM", "wt:str", "a"], ["SMEMBERS", "wt:str"], ["SISMEMBER", "wt:str", "a"],
            ["SMISMEMBER", "wt:str", "a"], ["SCARD", "wt:str"], ["SPOP", "wt:str"], ["SPOP", "wt:str", "2"],
            ["SRANDMEMBER", "wt:str"], ["SRANDMEMBER", "wt:str", "-2"], ["SMOVE", "wt:str", "wt:set", "a"],
            ["SMOVE", "wt:set", "wt:str", "a"], ["SINTER", "wt:set", "wt:str"], ["SINTER", "wt:missing", "wt:str"],
            ["SINTERCARD", "2", "wt:missing", "wt:str"], ["SINTERSTORE", "wt:d", "wt:str"], ["SUNION", "wt:set", "wt:str"],
            ["SUNIONSTORE", "wt:d", "wt:str"], ["SDIFF", "wt:missing", "wt:str"], ["SDIFFSTORE", "wt:d", "wt:set", "wt:str"],
            ["SSCAN", "wt:str", "0"],
        ];
        foreach (var command in commands)
        {
            Assert.Equal(WrongType, await Send(c, command));
        }

        // SMOVE from a missing source answers 0 before looking at the destination's type.
        Assert.Equal(":0", await Send(c, "SMOVE", "wt:missing", "wt:str", "a"));

        // A string destination of a *STORE is simply overwritten.
        Assert.Equal(":1", await Send(c, "SUNIONSTORE", "wt:str", "wt:set"));
        Assert.Equal("+set", await Send(c, "TYPE", "wt:str"));
    }

    [Fact]
    public async Task SPopAndSRandMemberCountsShapesAndErrors()
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal("-ERR value is out of range, must be positive", await Send(c, "SPOP", "rnd", "-1"));
        Assert.Equal("-ERR value is out of range, must be positive", await Send(c, "SPOP", "rnd", "abc"));
        Assert.Equal("-ERR syntax error", await Send(c, "SPOP", "rnd", "1", "2"));
        Assert.Equal("-ERR syntax error", await Send(c, "SRANDMEMBER", "rnd", "1", "2"));
        Assert.Equal("-ERR value is not an integer or out of range", await Send(c, "SRANDMEMBER", "rnd", "abc"));
        Assert.Equal("-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807", await Send(c, "SRANDMEMBER", "rnd", "-9223372036854775808"));
        Assert.Equal("(nil)", await Send(c, "SPOP", "rnd"));
        Assert.Equal("(nil)", await Send(c, "SRANDMEMBER", "rnd"));
        Assert.Equal("*[]", await Send(c, "SPOP", "rnd", "3"));
        Assert.Equal("*[]", await Send(c, "SRANDMEMBER", "rnd", "3"));

        var members = Enumerable.Range(0, 100).Select(i => "m" + i).ToArray();
        await Send(c, ["SADD", "rnd", .. members]);
        Assert.Equal("*[]", await Send(c, "SPOP", "rnd", "0"));
        Assert.Equal("*[]", await Send(c, "SRANDMEMBER", "rnd", "0"));
        Assert.Contains((await c.SendAsync("SRANDMEMBER", "rnd")).Text, members);

        // Positive counts: distinct members (both strategies: count*3 > size and not).
        foreach (int count in new[] { 1, 5, 40, 99, 100, 150 })
        {
            var got = Members(await c.SendAsync("SRANDMEMBER", "rnd", count));
            Assert.Equal(Math.Min(count, 100), got.Count);
            Assert.Equal(got.Count, got.Distinct().Count());
            Assert.All(got, m => Assert.Contains(m, members));
        }

        // Negative counts: exactly |count| members, repeats allowed.
        var repeated = Members(await c.SendAsync("SRANDMEMBER", "rnd", "-500"));
        Assert.Equal(500, repeated.Count);
        Assert.All(repeated, m => Assert.Contains(m, members));
        Assert.True(repeated.Distinct().Count() < 500);

        // SPOP: few (pop one by one), many (keep the survivors) and all (the key goes away).
        var popped = Members(await c.SendAsync("SPOP", "rnd", "10"));
        Assert.Equal(10, popped.Distinct().Count());
        Assert.Equal(":90", await Send(c, "SCARD", "rnd"));
        var more = Members(await c.SendAsync("SPOP", "rnd", "85"));
        Assert.Equal(85, more.Distinct().Count());
        Assert.Empty(popped.Intersect(more));
        Assert.Equal(":5", await Send(c, "SCARD", "rnd"));
        var single = (await c.SendAsync("SPOP", "rnd")).Text!;
        Assert.DoesNotContain(single, popped.Concat(more));
        var rest = Members(await c.SendAsync("SPOP", "rnd", "100"));
        Assert.Equal(4, rest.Count);
        Assert.Equal(100, popped.Concat(more).Concat(rest).Append(single).Distinct().Count());
        Assert.Equal(":0", await Send(c, "EXISTS", "rnd"));

        // Draining with SPOP one by one empties and deletes the key.
        await Send(c, "SADD", "drain", "1", "2", "3");
        var drained = new HashSet<string>();
        for (int i = 0; i < 3; i++)
        {
            drained.Add((await c.SendAsync("SPOP", "drain")).Text!);
        }

        Assert.Equal(["1", "2", "3"], drained.Order());
        Assert.Equal(":0", await Send(c, "EXISTS", "drain"));
    }

    [Fact]
    public async Task SPopOfMostOfABigHashtableOfIntegersLeavesAnIntset()
    {
        // Redis's SPOP moves the few survivors into a new set, created as setTypeCreate would.
        await using var c = await _fixture.ConnectAsync();
        await Send(c, ["SADD", "survivors", .. Enumerable.Range(0, 600).Select(i => (object)i)]);
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "survivors"));
        Assert.Equal(590, (await c.SendAsync("SPOP", "survivors", "590")).Items!.Count);
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "survivors"));
        Assert.Equal(":10", await Send(c, "SCARD", "survivors"));
    }

    [Fact]
    public async Task Resp3Shapes()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "3");
        await Send(c, "SADD", "r3", "1", "2");
        Assert.Equal("~[$1, $2]", await Send(c, "SMEMBERS", "r3"));
        Assert.Equal("~[]", await Send(c, "SMEMBERS", "r3:missing"));
        Assert.Equal("~[$1, $2]", await Send(c, "SINTER", "r3", "r3"));
        Assert.Equal("~[$1, $2]", await Send(c, "SUNION", "r3", "r3:missing"));
        Assert.Equal("~[]", await Send(c, "SDIFF", "r3", "r3"));
        Assert.Equal("~[]", await Send(c, "SPOP", "r3:missing", "2"));
        Assert.Equal("*[]", await Send(c, "SRANDMEMBER", "r3:missing", "2"));
        Assert.Equal("*[$1, $2]", await Send(c, "SRANDMEMBER", "r3", "5"));
        Assert.Equal("(null)", await Send(c, "SPOP", "r3:missing"));
        Assert.Equal("~[$1, $2]", await Send(c, "SPOP", "r3", "5"));
    }

    [Fact]
    public async Task SMove()
    {
        await using var c = await _fixture.ConnectAsync();
        await Send(c, "SADD", "mv:a", "1", "x");
        Assert.Equal(":1", await Send(c, "SMOVE", "mv:a", "mv:a", "1"));
        Assert.Equal(":0", await Send(c, "SMOVE", "mv:a", "mv:a", "2"));
        Assert.Equal(":0", await Send(c, "SMOVE", "mv:a", "mv:b", "nope"));
        Assert.Equal(":1", await Send(c, "SMOVE", "mv:a", "mv:b", "1"));
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "mv:b"));
        Assert.Equal(":1", await Send(c, "SMOVE", "mv:a", "mv:b", "x"));
        Assert.Equal(":0", await Send(c, "EXISTS", "mv:a"));
        Assert.Equal("*[$1, $x]", (await c.SendAsync("SMEMBERS", "mv:b")).ToString());
        await Send(c, "SADD", "mv:c", "1");
        Assert.Equal(":1", await Send(c, "SMOVE", "mv:b", "mv:c", "1"));
        Assert.Equal("*[$1]", await Send(c, "SMEMBERS", "mv:c"));
        Assert.Equal("*[$x]", await Send(c, "SMEMBERS", "mv:b"));
    }

    [Fact]
    public async Task IntersectionUnionDifferenceAndStores()
    {
        await using var c = await _fixture.ConnectAsync();
        await Send(c, "SADD", "al:a", "1", "2", "3", "4", "x");
        await Send(c, "SADD", "al:b", "3", "4", "5", "x", "y");
        await Send(c, "SADD", "al:c", "4", "3", "9");

        // The smallest set (an intset) drives SINTER, so the order is its ascending order.
        Assert.Equal("*[$3, $4]", await Send(c, "SINTER", "al:a", "al:b", "al:c"));
        Assert.Equal("*[]", await Send(c, "SINTER", "al:a", "al:missing"));
        Assert.Equal(":2", await Send(c, "SINTERCARD", "3", "al:a", "al:b", "al:c"));
        Assert.Equal(":1", await Send(c, "SINTERCARD", "3", "al:a", "al:b", "al:c", "LIMIT", "1"));
        Assert.Equal(":2", await Send(c, "SINTERCARD", "3", "al:a", "al:b", "al:c", "limit", "0"));
        Assert.Equal(":0", await Send(c, "SINTERCARD", "2", "al:a", "al:missing"));

        Assert.Equal(["1", "2", "3", "4", "5", "9", "x", "y"], Members(await c.SendAsync("SUNION", "al:a", "al:b", "al:c")).Order());
        Assert.Equal("*[$3, $4, $9]", await Send(c, "SUNION", "al:c", "al:missing"));
        Assert.Equal(["1", "2"], Members(await c.SendAsync("SDIFF", "al:a", "al:b", "al:c")).Order());
        Assert.Equal("*[]", await Send(c, "SDIFF", "al:missing", "al:a"));
        Assert.Equal("*[]", await Send(c, "SDIFF", "al:a", "al:a"));

        // Stores: intset results stay intsets, the destination loses its TTL, empty results delete it.
        await Send(c, "SET", "al:d", "old", "EX", "100");
        Assert.Equal(":2", await Send(c, "SINTERSTORE", "al:d", "al:a", "al:c"));
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "al:d"));
        Assert.Equal(":-1", await Send(c, "TTL", "al:d"));
        Assert.Equal(":8", await Send(c, "SUNIONSTORE", "al:d", "al:a", "al:b", "al:c"));
        Assert.Equal("$hashtable", await Send(c, "OBJECT", "ENCODING", "al:d"));
        Assert.Equal(":2", await Send(c, "SDIFFSTORE", "al:d", "al:a", "al:b"));
        Assert.Equal("*[$1, $2]", await Send(c, "SMEMBERS", "al:d"));
        Assert.Equal("$intset", await Send(c, "OBJECT", "ENCODING", "al:d"));
        Assert.Equal(":0", await Send(c, "SDIFFSTORE", "al:d", "al:a", "al:a"));
        Assert.Equal(":0", await Send(c, "EXISTS", "al:d"));
        await Send(c, "SADD", "al:d", "z");
        Assert.Equal(":0", await Send(c, "SINTERSTORE", "al:d", "al:a", "al:missing"));
        Assert.Equal(":0", await Send(c, "EXISTS", "al:d"));
        await Send(c, "SADD", "al:d", "z");
        Assert.Equal(":0", await Send(c, "SUNIONSTORE", "al:d", "al:missing"));
        Assert.Equal(":0", await Send(c, "EXISTS", "al:d"));

        // The destination may be one of the sources.
        Assert.Equal(":3", await Send(c, "SINTERSTORE", "al:a", "al:a", "al:b"));
        Assert.Equal(["3", "4", "x"], Members(await c.SendAsync("SMEMBERS", "al:a")).Order());
    }

    [Fact]
    public async Task SInterCardErrors()
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal("-ERR numkeys should be greater than 0", await Send(c, "SINTERCARD", "0", "k"));
        Assert.Equal("-ERR numkeys should be greater than 0", await Send(c, "SINTERCARD", "-1", "k"));
        Assert.Equal("-ERR numkeys should be greater than 0", await Send(c, "SINTERCARD", "abc", "k"));
        Assert.Equal("-ERR Number of keys can't be greater than number of args", await Send(c, "SINTERCARD", "3", "k", "j"));
        Assert.Equal("-ERR LIMIT can't be negative", await Send(c, "SINTERCARD", "1", "k", "LIMIT", "-1"));
        Assert.Equal("-ERR LIMIT can't be negative", await Send(c, "SINTERCARD", "1", "k", "LIMIT", "abc"));
        Assert.Equal("-ERR syntax error", await Send(c, "SINTERCARD", "1", "k", "LIMIT"));
        Assert.Equal("-ERR syntax error", await Send(c, "SINTERCARD", "1", "k", "foo"));
        Assert.Equal("-ERR wrong number of arguments for 'sintercard' command", await Send(c, "SINTERCARD", "1"));
    }

    [Fact]
    public async Task SScan()
    {
        await using var c = await _fixture.ConnectAsync();
        await Send(c, "SADD", "sc:ints", "5", "3", "11", "1");
        Assert.Equal("*[$0, *[$1, $3, $5, $11]]", await Send(c, "SSCAN", "sc:ints", "0", "COUNT", "1"));
        Assert.Equal("*[$0, *[$1, $11]]", await Send(c, "SSCAN", "sc:ints", "0", "MATCH", "1*"));
        Assert.Equal("*[$0, *[]]", await Send(c, "SSCAN", "sc:missing", "0", "BOGUS"));
        Assert.Equal("-ERR invalid cursor", await Send(c, "SSCAN", "sc:missing", "x"));
        Assert.Equal("-ERR syntax error", await Send(c, "SSCAN", "sc:ints", "0", "COUNT", "0"));
        Assert.Equal("-ERR syntax error", await Send(c, "SSCAN", "sc:ints", "0", "TYPE", "set"));
        Assert.Equal("-ERR value is not an integer or out of range", await Send(c, "SSCAN", "sc:ints", "0", "COUNT", "x"));

        // A hashtable is walked in steps; members present for the whole scan come back despite churn.
        await Send(c, ["SADD", "sc:big", .. Enumerable.Range(0, 1000).Select(i => (object)("m" + i))]);
        var seen = new HashSet<string>();
        string cursor = "0";
        int calls = 0, round = 0;
        do
        {
            var reply = await c.SendAsync("SSCAN", "sc:big", cursor, "COUNT", "25");
            cursor = reply.Items![0].Text!;
            Assert.True(reply.Items[1].Items!.Count <= 25);
            foreach (var m in reply.Items[1].Items!)
            {
                seen.Add(m.Text!);
            }

            await Send(c, "SADD", "sc:big", "new" + round, "new" + round + "b");
            await Send(c, "SREM", "sc:big", "m" + (999 - round));
            calls++;
            round++;
        }
        while (cursor != "0" && calls < 1000);

        Assert.True(calls > 10, "COUNT should bound each call");
        for (int i = 0; i < 999 - round; i++)
        {
            Assert.Contains("m" + i, seen);
        }

        var matched = await c.SendAsync("SSCAN", "sc:big", "0", "MATCH", "m1?", "COUNT", "100000");
        Assert.Equal("0", matched.Items![0].Text);
        Assert.Equal(Enumerable.Range(10, 10).Select(i => "m" + i).Order(), Members(matched.Items[1]).Order());
    }

    [Fact]
    public async Task BigSetsKeepWorkingThroughGrowthShrinkAndCompaction()
    {
        await using var c = await _fixture.ConnectAsync();
        var members = Enumerable.Range(0, 20_000).Select(i => (object)("member:" + i + (i % 7 == 0 ? new string('p', 300) : ""))).ToArray();
        for (int i = 0; i < members.Length; i += 1000)
        {
            await Send(c, ["SADD", "big", .. members.Skip(i).Take(1000)]);
        }

        Assert.Equal(":20000", await Send(c, "SCARD", "big"));
        int keep = members.Length - 100;
        for (int i = 0; i < keep; i += 1000)
        {
            int take = Math.Min(1000, keep - i);
            Assert.Equal(":" + take, await Send(c, ["SREM", "big", .. members.Skip(i).Take(take)]));
        }

        Assert.Equal(":100", await Send(c, "SCARD", "big"));
        for (int i = members.Length - 100; i < members.Length; i++)
        {
            Assert.Equal(":1", await Send(c, "SISMEMBER", "big", members[i]));
        }

        Assert.Equal(":0", await Send(c, "SISMEMBER", "big", members[0]));
        Assert.Equal(members.Skip(members.Length - 100).Select(m => (string)m).Order(), Members(await c.SendAsync("SMEMBERS", "big")).Order());

        // COPY shares nothing with the source.
        Assert.Equal(":1", await Send(c, "COPY", "big", "big:copy"));
        await Send(c, "SREM", "big", members[^1]);
        Assert.Equal(":100", await Send(c, "SCARD", "big:copy"));
        Assert.Equal(":1", await Send(c, "SISMEMBER", "big:copy", members[^1]));
    }
}
