using System.Numerics;
using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>The public members the other test classes do not reach, against both servers: GETEX, DBSIZE, FLUSHDB, RESP3 reply types through ExecuteAsync, option snapshots and value conversions.</summary>
public sealed class ApiSurfaceTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task GetExDbSizeAndFlushDb(string server, int protocol)
    {
        // A database of its own: FLUSHDB must not take other tests' keys with it.
        var options = servers.Options(server, protocol);
        options.Database = 9;
        await using var client = await KvClient.ConnectAsync(options);
        Assert.True(await client.FlushDbAsync());
        Assert.Equal(0, await client.DbSizeAsync());

        string key = Key("gx");
        await client.SetAsync(key, "v");
        Assert.Equal("v", (await client.GetExAsync(key, TimeSpan.FromMinutes(10))).ToString());
        Assert.InRange((await client.TtlAsync(key))!.Value.TotalMinutes, 9, 10);
        Assert.Equal("v", (await client.GetExAsync(key, null)).ToString());
        Assert.Null(await client.TtlAsync(key));
        Assert.True((await client.GetExAsync(Key("missing"), null)).IsNull);

        await client.SetAsync(Key("other"), 1);
        Assert.Equal(2, await client.DbSizeAsync());
        Assert.True(await client.FlushDbAsync());
        Assert.Equal(0, await client.DbSizeAsync());
    }

    [Theory]
    [MemberData(nameof(ServersAndProtocols), MemberType = typeof(ServersFixture))]
    public async Task ExecuteAsyncKeepsEachRespType(string server, int protocol)
    {
        await using var client = await servers.ConnectAsync(server, protocol);
        var dbl = await client.ExecuteAsync("EVAL", "redis.setresp(3); return {double=3.5}", 0);
        var boolean = await client.ExecuteAsync("EVAL", "redis.setresp(3); return true", 0);
        var big = await client.ExecuteAsync("EVAL", "redis.setresp(3); return {big_number='12345678901234567890'}", 0);
        var map = await client.ExecuteAsync("EVAL", "redis.setresp(3); return {map={a=1}}", 0);
        var set = await client.ExecuteAsync("EVAL", "redis.setresp(3); return {set={x=true}}", 0);
        var verbatim = await client.ExecuteAsync("EVAL", "redis.setresp(3); return {verbatim_string={format='txt',string='hi'}}", 0);
        var nil = await client.ExecuteAsync("EVAL", "redis.setresp(3); return nil", 0);
        if (protocol == 3)
        {
            Assert.Equal(KvResultType.Double, dbl.Type);
            Assert.Equal(KvResultType.Boolean, boolean.Type);
            Assert.Equal(KvResultType.BigNumber, big.Type);
            Assert.Equal(KvResultType.Map, map.Type);
            Assert.Equal(KvResultType.Set, set.Type);
            Assert.Equal(KvResultType.VerbatimString, verbatim.Type);
            Assert.Equal("txt", verbatim.VerbatimFormat);
            Assert.Equal("{\"a\": (integer) 1}", map.ToString());
            Assert.Equal("(true)", boolean.ToString());
        }
        else
        {
            // The server downgrades RESP3 types for a RESP2 connection, as Redis documents.
            Assert.Equal(KvResultType.BulkString, dbl.Type);
            Assert.Equal(KvResultType.Integer, boolean.Type);
            Assert.Equal(KvResultType.BulkString, big.Type);
            Assert.Equal(KvResultType.Array, map.Type);
            Assert.Equal(KvResultType.Array, set.Type);
            Assert.Equal(KvResultType.BulkString, verbatim.Type);
            Assert.Null(verbatim.VerbatimFormat);
        }

        Assert.Equal(3.5, dbl.AsDouble());
        Assert.True(boolean.AsBoolean());
        Assert.Equal(1, boolean.AsInt64());
        Assert.Equal(BigInteger.Parse("12345678901234567890"), BigInteger.Parse(big.AsString()!));
        Assert.Equal(2, map.Count);
        Assert.Equal("a", map[0].AsString());
        Assert.Equal(1, map[1].AsInt64());
        Assert.Equal("x", set.Items[0].AsString());
        Assert.Equal("hi", verbatim.AsString());
        Assert.Equal("hi", verbatim.AsValue().ToString());
        Assert.True(nil.IsNull);
        Assert.Equal(KvResultType.Null, nil.Type);
        Assert.Null(nil.ErrorPrefix);
        Assert.Throws<InvalidCastException>(() => map.AsValue());
        Assert.Throws<InvalidCastException>(() => dbl[0]);
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task OptionsChangedAfterConnectingDoNotReachTheClient(string server)
    {
        var options = servers.Options(server);
        options.Database = 3;
        await using var client = await KvClient.ConnectAsync(options);
        string key = Key("snap");
        await client.SetAsync(key, "in db 3");

        // The client took a copy: the new values would break it (port 1) or move it (database 0) if read later.
        options.Port = 1;
        options.Database = 0;
        options.CommandTimeout = TimeSpan.FromMilliseconds(1);
        client.AbortConnection();
        Assert.Equal("in db 3", (await client.GetAsync(key)).ToString());
        Assert.Equal(3, (await client.ExecuteAsync("CLIENT", "INFO")).AsString()!.Split(' ').Select(p => p.Split('=')).Where(p => p[0] == "db").Select(p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)).Single());
    }

    [Theory]
    [MemberData(nameof(Servers), MemberType = typeof(ServersFixture))]
    public async Task KeysAndValuesConvertWithoutSurprises(string server)
    {
        await using var client = await servers.ConnectAsync(server);
        byte[] raw = [(byte)'k', 0, 255];
        string prefix = Key("conv");
        KvKey fromBytes = raw;
        KvKey fromMemory = new ReadOnlyMemory<byte>([.. "x"u8, .. raw]).Slice(1);
        Assert.Equal(fromBytes, fromMemory);
        Assert.True(fromBytes == fromMemory);
        Assert.Equal(fromBytes.GetHashCode(), fromMemory.GetHashCode());
        Assert.False(fromBytes != fromMemory);
        Assert.True(((KvKey)"a").Equals((object)(KvKey)"a"));

        // The same key whichever form it was written in.
        KvKey key = prefix + "\u00e9";
        await client.SetAsync(key, 42);
        Assert.Equal(42L, (long)await client.GetAsync(System.Text.Encoding.UTF8.GetBytes(prefix + "\u00e9")));
        await client.SetAsync(fromBytes.Value.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(prefix)).ToArray(), 2.5);
        var value = await client.GetAsync(fromMemory.Value.ToArray().Concat(System.Text.Encoding.UTF8.GetBytes(prefix)).ToArray());
        Assert.True(value.TryGetDouble(out double d));
        Assert.Equal(2.5, d);
        Assert.False(value.TryGetInt64(out _));
        Assert.True((await client.GetAsync(key)).TryGetInt64(out long n));
        Assert.Equal(42, n);
        Assert.Equal((KvValue)"42", await client.GetAsync(key));
        Assert.Equal(((KvValue)"42").GetHashCode(), (await client.GetAsync(key)).GetHashCode());
        Assert.False(KvValue.Null.TryGetInt64(out _));
        Assert.Null((long?)KvValue.Null);

        // A literal channel named like a pattern is not a pattern.
        string channel = Key("ch") + "*";
        var got = new TaskCompletionSource<KvMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (await client.SubscribeAsync(KvChannel.Literal(channel), m => got.TrySetResult(m)))
        {
            Assert.Equal(0, await client.PublishAsync(channel[..^1] + "x", "no"));
            Assert.Equal(1, await client.PublishAsync(channel, "yes"));
            var message = await got.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("yes", message.Message.ToString());
            Assert.Null(message.Pattern);
        }
    }
}
