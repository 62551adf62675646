using System.Diagnostics;
using Kv.AspNetCore.Leaderboards;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Kv.AspNetCore.Tests.Leaderboards;

/// <summary>
/// 100,000 members with many ties on each policy's board, loaded with SetManyAsync; the top, ranks and
/// around-me checked against an order and ranks computed here, independently of the server.
/// </summary>
public sealed class LargeLeaderboardTests(RedisFixture fixture, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    private const int Members = 100_000;

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task HundredThousandMembersRankAsComputedIndependently(string server)
    {
        string id = Guid.NewGuid().ToString("N")[..8];
        await using var app = await LeaderboardApp.StartAsync(fixture.Settings(server), s =>
        {
            foreach (var policy in Enum.GetValues<LeaderboardTiePolicy>())
            {
                s.AddKvLeaderboard($"{id}-{policy}", o => o.TiePolicy = policy);
            }
        });

        // About five members a score: ties everywhere. Names sort as their numbers.
        var random = new Random(42);
        var scores = new KeyValuePair<string, double>[Members];
        for (int i = 0; i < Members; i++)
        {
            scores[i] = new($"p{i:D6}", random.Next(0, 20_000));
        }

        // Per score: the members with a higher score and the distinct higher scores.
        var perScore = new SortedDictionary<double, long>(Comparer<double>.Create((a, b) => b.CompareTo(a)));
        foreach (var pair in scores)
        {
            perScore[pair.Value] = perScore.GetValueOrDefault(pair.Value) + 1;
        }

        var higher = new Dictionary<double, (long Members, long Distinct)>();
        long above = 0;
        foreach (var (score, count) in perScore)
        {
            higher[score] = (above, higher.Count);
            above += count;
        }

        foreach (var policy in Enum.GetValues<LeaderboardTiePolicy>())
        {
            string name = $"{id}-{policy}";
            var board = app.Services.GetRequiredKeyedService<ILeaderboard>(name);
            long start = Stopwatch.GetTimestamp();
            await board.SetManyAsync(scores);
            output.WriteLine($"{server} {policy}: loaded {Members} members in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms");
            Assert.Equal(Members, await board.CountAsync());

            // The sorted set's order: by score, then (equal scores) by member, both from the top; first to reach: by arrival (the order given).
            var order = policy == LeaderboardTiePolicy.FirstToReach
                ? scores.Select((s, i) => (s.Key, s.Value, i)).OrderByDescending(e => e.Value).ThenBy(e => e.i).Select(e => (e.Key, e.Value)).ToArray()
                : scores.OrderByDescending(s => s.Value).ThenByDescending(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value)).ToArray();
            long Rank(int position) => policy switch
            {
                LeaderboardTiePolicy.FirstToReach => position + 1,
                LeaderboardTiePolicy.Dense => higher[order[position].Value].Distinct + 1,
                _ => higher[order[position].Value].Members + 1,
            };
            LeaderboardEntry Expected(int position) => new(order[position].Key, order[position].Value, Rank(position));

            Assert.Equal(Enumerable.Range(0, 10).Select(Expected), await app.TopAsync(name, 10));
            foreach (int position in new[] { 0, 1, 7, 999, 12_345, 50_000, 77_777, 99_998, Members - 1 })
            {
                Assert.Equal(Expected(position), await app.EntryAsync(name, order[position].Key));
            }

            Assert.Equal(Enumerable.Range(49_995, 11).Select(Expected), await app.AroundAsync(name, order[50_000].Key, 5));
            Assert.Equal(Enumerable.Range(60_000, 20).Select(Expected), await app.PageAsync(name, 60_000, 20));
        }
    }
}
