using System.Net.Http.Json;
using Kv.AspNetCore.Leaderboards;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Leaderboards;

/// <summary>
/// AddKvLeaderboard in a real app on Kestrel, on the embedded server and on redis-server: the three tie
/// policies on the same writes, pages, around-me, best scores, removal, member data, the first-to-reach encoding's limits.
/// </summary>
public sealed class LeaderboardTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EachTiePolicyRanksTheSameWritesItsOwnWay(string server)
    {
        string std = $"{_id}-std", dense = $"{_id}-dense", first = $"{_id}-first";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddKvLeaderboard(std)
            .AddKvLeaderboard(dense, o => o.TiePolicy = LeaderboardTiePolicy.Dense)
            .AddKvLeaderboard(first, o => o.TiePolicy = LeaderboardTiePolicy.FirstToReach));

        foreach (string board in new[] { std, dense, first })
        {
            // b reaches 90 before c does; d reaches 80 before e. Equal scores sort in reverse member order in a
            // sorted set (c before b), so first-to-reach only passes if the arrival decides.
            await app.SetAsync(board, "a", 100);
            await app.SetAsync(board, "b", 90);
            await app.SetAsync(board, "c", 50);
            await app.SetAsync(board, "d", 80);
            await app.SetAsync(board, "e", 80);
            await app.SetAsync(board, "f", 70);
            Assert.Equal(90, await app.IncrementAsync(board, "c", 40));
        }

        Assert.Equal(["a 1 100", "c 2 90", "b 2 90", "e 4 80", "d 4 80", "f 6 70"], LeaderboardApp.Lines(await app.TopAsync(std, 10)));
        Assert.Equal(["a 1 100", "c 2 90", "b 2 90", "e 3 80", "d 3 80", "f 4 70"], LeaderboardApp.Lines(await app.TopAsync(dense, 10)));
        Assert.Equal(["a 1 100", "b 2 90", "c 3 90", "d 4 80", "e 5 80", "f 6 70"], LeaderboardApp.Lines(await app.TopAsync(first, 10)));

        Assert.Equal(new LeaderboardEntry("e", 80, 4), await app.EntryAsync(std, "e"));
        Assert.Equal(new LeaderboardEntry("e", 80, 3), await app.EntryAsync(dense, "e"));
        Assert.Equal(new LeaderboardEntry("e", 80, 5), await app.EntryAsync(first, "e"));
        Assert.Null(await app.EntryAsync(first, "nobody"));
        Assert.Null(await app.EntryAsync(dense, "nobody"));

        // The first-to-reach board stores 90 × 2^23 + an arrival number, and gives back 90.
        double stored = (await app.Kv().ZScoreAsync($"lb:{{{first}}}", "c"))!.Value;
        Assert.InRange(stored, 90 * Math.ScaleB(1, 23), 91 * Math.ScaleB(1, 23) - 1);
        Assert.Equal(6, await app.Services.GetRequiredService<ILeaderboardProvider>().Get(first).CountAsync());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EveryPageAgreesWithTheTopWhateverPathReadsIt(string server)
    {
        // With member data every read is the script; without, the top (and any first-to-reach page) is a plain ZRANGE.
        var boards = new List<string>();
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s =>
        {
            foreach (var policy in Enum.GetValues<LeaderboardTiePolicy>())
            {
                foreach (bool data in new[] { false, true })
                {
                    string name = $"{_id}-{policy}-{data}";
                    boards.Add(name);
                    s.AddKvLeaderboard(name, o => (o.TiePolicy, o.IncludeMemberData) = (policy, data));
                }
            }
        });
        double[] scores = [100, 90, 90, 90, 80, 80, 70, 60, 60, 50];
        foreach (string name in boards)
        {
            var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
            await board.SetManyAsync(scores.Select((score, i) => KeyValuePair.Create($"m{i}", score)));
            var top = await board.GetTopAsync(100);
            Assert.Equal(10, top.Count);
            for (int offset = 0; offset < 10; offset++)
            {
                Assert.Equal(LeaderboardApp.Lines(top.Skip(offset).Take(3)), LeaderboardApp.Lines(await app.PageAsync(name, offset, 3)));
            }

            Assert.Empty(await app.PageAsync(name, 10, 5));
            Assert.Empty(await app.PageAsync(name, 1000, 5));
            foreach (var entry in top)
            {
                Assert.Equal(entry, await board.GetEntryAsync(entry.Member));
            }
        }

        // A page that starts inside a tie shows the tie's shared rank.
        Assert.Equal(["m3 2 90", "m2 2 90", "m1 2 90"], LeaderboardApp.Lines(await app.PageAsync($"{_id}-StandardCompetition-False", 1, 3)));
        Assert.Equal(["m1 2 90", "m5 5 80"], LeaderboardApp.Lines(await app.PageAsync($"{_id}-StandardCompetition-True", 3, 2)));
        Assert.Equal(["m1 2 90", "m5 3 80", "m4 3 80", "m6 4 70"], LeaderboardApp.Lines(await app.PageAsync($"{_id}-Dense-False", 3, 4)));
        Assert.Equal(["m3 4 90", "m4 5 80"], LeaderboardApp.Lines(await app.PageAsync($"{_id}-FirstToReach-False", 3, 2)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await app.Services.GetRequiredKeyedService<ILeaderboard>(boards[0]).GetPageAsync(-1, 3));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await app.Services.GetRequiredKeyedService<ILeaderboard>(boards[0]).GetTopAsync(0));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AroundAMemberStopsAtTheEdges(string server)
    {
        string name = $"{_id}-around";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s.AddKvLeaderboard(name, o => o.TiePolicy = LeaderboardTiePolicy.Dense));
        var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
        await board.SetManyAsync([new("a", 60), new("b", 50), new("c", 50), new("d", 40), new("e", 30), new("f", 20)]);

        Assert.Equal(["a 1 60", "c 2 50", "b 2 50"], LeaderboardApp.Lines(await app.AroundAsync(name, "a", 2)));
        Assert.Equal(["d 3 40", "e 4 30", "f 5 20"], LeaderboardApp.Lines(await app.AroundAsync(name, "f", 2)));
        Assert.Equal(["b 2 50", "d 3 40", "e 4 30"], LeaderboardApp.Lines(await app.AroundAsync(name, "d", 1)));
        Assert.Equal(["e 4 30"], LeaderboardApp.Lines(await app.AroundAsync(name, "e", 0)));
        Assert.Equal(6, (await app.AroundAsync(name, "c", 100)).Length);
        Assert.Empty(await app.AroundAsync(name, "nobody", 2));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task SubmitKeepsTheBestScore(string server)
    {
        string std = $"{_id}-std", daily = $"{_id}-daily", dense = $"{_id}-dense", first = $"{_id}-first";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddKvLeaderboard(std)
            .AddKvLeaderboard(daily, o => o.Period = LeaderboardPeriod.Daily)
            .AddKvLeaderboard(dense, o => o.TiePolicy = LeaderboardTiePolicy.Dense)
            .AddKvLeaderboard(first, o => o.TiePolicy = LeaderboardTiePolicy.FirstToReach));

        foreach (string board in new[] { std, daily, dense, first })
        {
            Assert.True(await app.SubmitAsync(board, "x", 50));
            Assert.False(await app.SubmitAsync(board, "x", 40));
            Assert.False(await app.SubmitAsync(board, "x", 50));
            Assert.Equal(50, (await app.EntryAsync(board, "x"))!.Value.Score);
            Assert.True(await app.SubmitAsync(board, "x", 60));
            Assert.True(await app.SubmitAsync(board, "y", 60));
            Assert.Equal(60, (await app.EntryAsync(board, "x"))!.Value.Score);
        }

        // x reached 60 first and submitting 60 again does not give up the place.
        Assert.False(await app.SubmitAsync(first, "x", 60));
        Assert.Equal(["x 1 60", "y 2 60"], LeaderboardApp.Lines(await app.TopAsync(first, 5)));
        Assert.Equal(["y 1 60", "x 1 60"], LeaderboardApp.Lines(await app.TopAsync(dense, 5)));

        // The dense board's distinct scores followed x from 50 to 60: only 60 is left.
        Assert.Equal(1, await app.Kv().ZCardAsync($"lb:{{{dense}}}:distinct"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task RemovingAndMovingMembersUpdatesDenseRanks(string server)
    {
        string name = $"{_id}-dense";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s.AddKvLeaderboard(name, o => o.TiePolicy = LeaderboardTiePolicy.Dense));
        var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
        string distinct = $"lb:{{{name}}}:distinct";
        await board.SetManyAsync([new("a", 100), new("b", 90), new("c", 90), new("d", 80)]);
        await board.SetMemberDataAsync("b", "Bea");
        Assert.Equal(3, await app.Kv().ZCardAsync(distinct));

        Assert.True(await app.RemoveAsync(name, "b"));
        Assert.Equal(3, (await app.EntryAsync(name, "d"))!.Value.Rank);
        Assert.Equal(3, await app.Kv().ZCardAsync(distinct));
        Assert.Null(await board.GetMemberDataAsync("b"));

        Assert.True(await app.RemoveAsync(name, "c"));
        Assert.Equal(2, (await app.EntryAsync(name, "d"))!.Value.Rank);
        Assert.Equal(2, await app.Kv().ZCardAsync(distinct));
        Assert.False(await app.RemoveAsync(name, "c"));

        // d passes a: 80 leaves the distinct scores, 120 joins them.
        Assert.Equal(120, await app.IncrementAsync(name, "d", 40));
        Assert.Equal(["d 1 120", "a 2 100"], LeaderboardApp.Lines(await app.TopAsync(name, 5)));
        Assert.Equal(["100", "120"], (await app.Kv().ZRangeAsync(distinct, 0, -1)).Select(v => v.ToString()));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task MemberDataComesWithTheEntries(string server)
    {
        string std = $"{_id}-std", first = $"{_id}-first", plain = $"{_id}-plain";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddKvLeaderboard(std, o => o.IncludeMemberData = true)
            .AddKvLeaderboard(first, o => (o.IncludeMemberData, o.TiePolicy) = (true, LeaderboardTiePolicy.FirstToReach))
            .AddKvLeaderboard(plain));
        foreach (string name in new[] { std, first, plain })
        {
            var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
            await board.SetManyAsync([new("ada", 30), new("bob", 20), new("cy", 10)]);
            await board.SetMemberDataAsync("ada", """{"name":"Ada","country":"GB"}""");
            await board.SetMemberDataAsync("cy", "Cy");
            Assert.Equal("Cy", await board.GetMemberDataAsync("cy"));
            Assert.Null(await board.GetMemberDataAsync("bob"));
        }

        foreach (string name in new[] { std, first })
        {
            Assert.Equal([("ada", """{"name":"Ada","country":"GB"}"""), ("bob", null), ("cy", "Cy")], (await app.TopAsync(name, 3)).Select(e => (e.Member, e.Data)));
            Assert.Equal([("bob", null), ("cy", "Cy")], (await app.AroundAsync(name, "cy", 1)).Select(e => (e.Member, e.Data)));
            Assert.Equal(new LeaderboardEntry("cy", 10, 3, "Cy"), await app.EntryAsync(name, "cy"));
        }

        // Off: plain reads, no data.
        Assert.All(await app.TopAsync(plain, 3), e => Assert.Null(e.Data));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task FirstToReachKeepsItsScoresInRange(string server)
    {
        string name = $"{_id}-first", tiny = $"{_id}-tiny";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddKvLeaderboard(name, o => (o.TiePolicy, o.MaxScore) = (LeaderboardTiePolicy.FirstToReach, 1000))
            // 51 score bits leave 2 arrival bits: four score changes.
            .AddKvLeaderboard(tiny, o => (o.TiePolicy, o.MaxScore) = (LeaderboardTiePolicy.FirstToReach, (1L << 51) - 1)));
        var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await board.SetAsync("a", 1001));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await board.SetAsync("a", 1.5));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await board.SetAsync("a", double.NaN));
        await board.SetAsync("a", 900);
        await board.SetAsync("b", -1000);
        await board.SetAsync("c", -1000);
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await board.IncrementAsync("a", 101));
        Assert.Contains("±1000", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1000, await board.IncrementAsync("a", 100));
        Assert.Equal(["a 1 1000", "b 2 -1000", "c 3 -1000"], LeaderboardApp.Lines(await board.GetTopAsync(5)));

        var full = app.Services.GetRequiredKeyedService<ILeaderboard>(tiny);
        long big = (1L << 51) - 1;
        await full.SetAsync("x", big);
        await full.SetAsync("y", big);
        await full.SetAsync("z", -big);
        await full.SetAsync("y", big);
        Assert.Equal([("x", 1L, (double)big), ("y", 2L, big), ("z", 3L, -big)], (await full.GetTopAsync(5)).Select(e => (e.Member, e.Rank, e.Score)));
        await full.SetAsync("w", 0);
        var exhausted = await Assert.ThrowsAsync<InvalidOperationException>(async () => await full.SetAsync("v", 1));
        Assert.Contains("arrival numbers", exhausted.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EachReadIsOneRoundTrip(string server)
    {
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s.AddKv());
        var counter = new FlushCounter();
        await using var client = await counter.ConnectAsync(app.ServerPort());
        foreach (var policy in Enum.GetValues<LeaderboardTiePolicy>())
        {
            var board = new KvLeaderboard($"{_id}-{policy}", client, new KvLeaderboardOptions { TiePolicy = policy, IncludeMemberData = true });
            await board.SetManyAsync([new("a", 3), new("b", 2), new("c", 1)]);
            await board.GetAroundAsync("b", 1); // loads the read script (EVALSHA, then EVAL)

            var reads = new Func<Task>[]
            {
                async () => await board.GetTopAsync(2),
                async () => await board.GetPageAsync(1, 2),
                async () => await board.GetEntryAsync("b"),
                async () => await board.GetAroundAsync("b", 1),
                async () => await board.CountAsync(),
            };
            foreach (var read in reads)
            {
                int before = counter.Flushes;
                await read();
                Assert.Equal(1, counter.Flushes - before);
            }
        }
    }

    [Fact]
    public async Task BoardsComeFromConfigurationByNameAndKey()
    {
        await using var app = await LeaderboardApp.StartAsync(
            new() { ["Kv:Leaderboards:scores:TiePolicy"] = "Dense", ["Kv:Leaderboards:scores:Period"] = "Weekly", ["Kv:Leaderboards:scores:KeepPeriods"] = "4" },
            s => s.AddKvLeaderboard("scores").AddKvLeaderboard("other"));
        var provider = app.Services.GetRequiredService<ILeaderboardProvider>();
        var scores = provider.Get("scores");
        Assert.Same(app.Services.GetRequiredKeyedService<ILeaderboard>("scores"), scores);
        Assert.Equal((LeaderboardTiePolicy.Dense, LeaderboardPeriod.Weekly, 4), (scores.Options.TiePolicy, scores.Options.Period, scores.Options.KeepPeriods));
        Assert.Equal(LeaderboardTiePolicy.StandardCompetition, provider.Get("other").Options.TiePolicy);
        var missing = Assert.Throws<InvalidOperationException>(() => provider.Get("nope"));
        Assert.Contains("AddKvLeaderboard(\"nope\")", missing.Message, StringComparison.Ordinal);

        await scores.SetAsync("ada", 5);
        Assert.Equal(["ada 1 5"], LeaderboardApp.Lines((await app.Client.GetFromJsonAsync<LeaderboardEntry[]>("/scores/top"))!));
    }

    [Fact]
    public async Task BadOptionsStopTheHostNamingTheKey()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => LeaderboardApp.StartAsync(
            new() { ["Kv:Leaderboards:bad:MaxScore"] = "0" },
            s => s.AddKvLeaderboard("bad", o => (o.TiePolicy, o.KeepPeriods) = (LeaderboardTiePolicy.FirstToReach, 0))));
        Assert.Contains("Kv:Leaderboards:bad:MaxScore is 0", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Kv:Leaderboards:bad:KeepPeriods is 0", failure.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddKvLeaderboard("a{b}"));
    }
}
