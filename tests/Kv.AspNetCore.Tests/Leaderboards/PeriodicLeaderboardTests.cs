using Kv.AspNetCore.Leaderboards;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Leaderboards;

/// <summary>
/// Daily, weekly and monthly boards on a clock the test moves: period keys in UTC, their expiry, reading a
/// past period, roll-ups. The dates are in the future so the keys' real expiry never comes during the test.
/// </summary>
public sealed class PeriodicLeaderboardTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task PeriodKeysAreNamedInUtcAndExpireAfterTheKeptPeriods(string server)
    {
        // Friday 1 January 2027 belongs to ISO week 53 of 2026 (Monday 28 December 2026).
        var time = new ManualTime(new DateTimeOffset(2027, 1, 1, 12, 0, 0, TimeSpan.Zero));
        string daily = $"{_id}-daily", weekly = $"{_id}-weekly", monthly = $"{_id}-monthly";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddSingleton<TimeProvider>(time)
            .AddKvLeaderboard(daily, o => (o.Period, o.TiePolicy, o.KeepPeriods) = (LeaderboardPeriod.Daily, LeaderboardTiePolicy.Dense, 2))
            .AddKvLeaderboard(weekly, o => (o.Period, o.TiePolicy, o.KeepPeriods) = (LeaderboardPeriod.Weekly, LeaderboardTiePolicy.FirstToReach, 3))
            .AddKvLeaderboard(monthly, o => (o.Period, o.KeepPeriods) = (LeaderboardPeriod.Monthly, 1)));
        foreach (string name in new[] { daily, weekly, monthly })
        {
            await app.SetAsync(name, "ada", 7);
        }

        await app.Services.GetRequiredKeyedService<ILeaderboard>(daily).SetMemberDataAsync("ada", "Ada");
        var kv = app.Kv();
        long day = At(2027, 1, 3), week = At(2027, 1, 18), month = At(2027, 2, 1);
        Assert.Equal(day, await ExpireTimeAsync(kv, $"lb:{{{daily}}}:2027-01-01"));
        Assert.Equal(day, await ExpireTimeAsync(kv, $"lb:{{{daily}}}:2027-01-01:distinct"));
        Assert.Equal(day, await ExpireTimeAsync(kv, $"lb:{{{daily}}}:data"));
        Assert.Equal(week, await ExpireTimeAsync(kv, $"lb:{{{weekly}}}:2026-W53"));
        Assert.Equal(week, await ExpireTimeAsync(kv, $"lb:{{{weekly}}}:2026-W53:arrivals"));
        Assert.Equal(month, await ExpireTimeAsync(kv, $"lb:{{{monthly}}}:2027-01"));

        // A minute before midnight UTC is still the same day, whatever the offset the time is written with.
        time.Now = new DateTimeOffset(2027, 1, 2, 1, 59, 0, TimeSpan.FromHours(2));
        await app.SetAsync(daily, "bob", 3);
        time.Now = new DateTimeOffset(2027, 1, 4, 0, 0, 0, TimeSpan.Zero);
        await app.SetAsync(daily, "cy", 1);
        await app.SetAsync(weekly, "cy", 1);
        Assert.Equal(2, await kv.ZCardAsync($"lb:{{{daily}}}:2027-01-01:distinct"));
        Assert.Equal(["ada", "bob"], (await kv.ZRangeAsync($"lb:{{{daily}}}:2027-01-01", 0, -1)).Select(v => v.ToString()).Order());
        Assert.Equal(At(2027, 1, 6), await ExpireTimeAsync(kv, $"lb:{{{daily}}}:2027-01-04"));
        Assert.Equal(At(2027, 1, 25), await ExpireTimeAsync(kv, $"lb:{{{weekly}}}:2027-W01"));
        Assert.Equal(["cy 1 1"], LeaderboardApp.Lines(await app.TopAsync(daily, 5)));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task APastPeriodIsReadByDate(string server)
    {
        var time = new ManualTime(new DateTimeOffset(2027, 3, 10, 23, 59, 0, TimeSpan.Zero));
        string name = $"{_id}-daily";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddSingleton<TimeProvider>(time)
            .AddKvLeaderboard(name, o => (o.Period, o.TiePolicy) = (LeaderboardPeriod.Daily, LeaderboardTiePolicy.FirstToReach)));
        var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
        await board.SetAsync("ada", 5);
        await board.SetAsync("bob", 5);

        time.Now = time.Now.AddMinutes(2);
        await board.SetAsync("cy", 7);
        await board.SetAsync("ada", 1);

        Assert.Equal(["cy 1 7", "ada 2 1"], LeaderboardApp.Lines(await app.TopAsync(name, 5)));
        var yesterday = board.ForPeriod(new DateTimeOffset(2027, 3, 10, 5, 0, 0, TimeSpan.Zero));
        Assert.Equal(["ada 1 5", "bob 2 5"], LeaderboardApp.Lines(await yesterday.GetTopAsync(5)));
        Assert.Equal(new LeaderboardEntry("bob", 5, 2), await yesterday.GetEntryAsync("bob"));
        Assert.Null(await yesterday.GetEntryAsync("cy"));
        Assert.Equal(2, await yesterday.CountAsync());
        Assert.Equal(["ada 1 5", "bob 2 5"], LeaderboardApp.Lines(await yesterday.GetAroundAsync("bob", 3)));
        Assert.Equal(2, await board.ForPeriod(time.Now).CountAsync());
        Assert.Equal(0, await board.ForPeriod(time.Now.AddDays(-30)).CountAsync());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task RollupsCombineTheLastPeriodsAndCacheTheResult(string server)
    {
        var time = new ManualTime(new DateTimeOffset(2027, 5, 10, 10, 0, 0, TimeSpan.Zero));
        string name = $"{_id}-xp", best = $"{_id}-best", forever = $"{_id}-forever";
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s => s
            .AddSingleton<TimeProvider>(time)
            .AddKvLeaderboard(name, o => (o.Period, o.KeepPeriods, o.RollupCacheDuration, o.IncludeMemberData) = (LeaderboardPeriod.Daily, 7, TimeSpan.FromMinutes(1), true))
            .AddKvLeaderboard(best, o => (o.Period, o.KeepPeriods, o.TiePolicy) = (LeaderboardPeriod.Daily, 7, LeaderboardTiePolicy.FirstToReach))
            .AddKvLeaderboard(forever));
        var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
        var bests = app.Services.GetRequiredKeyedService<ILeaderboard>(best);
        await board.SetMemberDataAsync("cy", "Cy");

        await board.IncrementAsync("a", 10);
        await board.IncrementAsync("b", 5);
        await bests.SubmitAsync("x", 50);
        await bests.SubmitAsync("y", 40);
        time.Now = time.Now.AddDays(1);
        await board.IncrementAsync("a", 1);
        await board.IncrementAsync("b", 20);
        await board.IncrementAsync("cy", 4);
        await bests.SubmitAsync("y", 50);
        time.Now = time.Now.AddDays(1);
        await board.IncrementAsync("b", 1);
        await board.IncrementAsync("cy", 15);
        await board.IncrementAsync("d", 11);

        var week = board.Rollup(3);
        Assert.Equal(["b 1 26", "cy 2 19", "d 3 11", "a 3 11"], LeaderboardApp.Lines(await week.GetTopAsync(10)));
        Assert.Equal(new LeaderboardEntry("cy", 19, 2, "Cy"), await week.GetEntryAsync("cy"));
        Assert.Equal(["cy 2 19", "d 3 11"], LeaderboardApp.Lines(await week.GetPageAsync(1, 2)));
        Assert.Equal(["b 1 26", "cy 2 19", "d 3 11"], LeaderboardApp.Lines(await week.GetAroundAsync("cy", 1)));
        Assert.Equal(4, await week.CountAsync());
        Assert.Equal(["b 1 21", "cy 2 19", "d 3 11", "a 4 1"], LeaderboardApp.Lines(await board.Rollup(2).GetTopAsync(10)));
        Assert.Equal(["b 1 20", "cy 2 15", "d 3 11", "a 4 10"], LeaderboardApp.Lines(await board.Rollup(3, LeaderboardAggregate.Max).GetTopAsync(10)));

        // Cached for RollupCacheDuration: a write shows once the cached board is gone.
        string cache = $"lb:{{{name}}}:rollup:sum:3:2027-05-12";
        Assert.InRange((await app.Kv().ExecuteAsync("PTTL", cache)).AsInt64(), 1, 60_000);
        await board.IncrementAsync("a", 100);
        Assert.Equal(11, (await board.Rollup(3).GetEntryAsync("a"))!.Value.Score);
        await app.Kv().DelAsync(cache);
        Assert.Equal(new LeaderboardEntry("a", 111, 1), await board.Rollup(3).GetEntryAsync("a"));

        // First to reach: the week's best run, competition ranks (x and y share 50, each reached on their own day).
        Assert.Equal([("x", 50.0, 1L), ("y", 50.0, 1L)], (await bests.Rollup(3, LeaderboardAggregate.Max).GetTopAsync(5)).Select(e => (e.Member, e.Score, e.Rank)).Order());
        Assert.Equal(new LeaderboardEntry("y", 50, 1), await bests.Rollup(3, LeaderboardAggregate.Max).GetEntryAsync("y"));
        Assert.Throws<InvalidOperationException>(() => bests.Rollup(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => board.Rollup(8));
        Assert.Throws<InvalidOperationException>(() => app.Services.GetRequiredKeyedService<ILeaderboard>(forever).Rollup(1));
    }

    private static long At(int year, int month, int day) => new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

    private static async Task<long> ExpireTimeAsync(KvClient kv, string key) => (await kv.ExecuteAsync("PEXPIRETIME", key)).AsInt64();
}
