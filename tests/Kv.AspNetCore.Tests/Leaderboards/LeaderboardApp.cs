using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Kv.AspNetCore.Leaderboards;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Leaderboards;

/// <summary>
/// A real app on Kestrel with a game's leaderboard endpoints (boards found by name through
/// <see cref="ILeaderboardProvider"/>; <c>/scores/top</c> takes the keyed board <c>scores</c>), and the HTTP calls
/// the tests make to it.
/// </summary>
internal static class LeaderboardApp
{
    public static Task<TestApp> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection> services)
        => TestApp.StartAsync(services, MapEndpoints, settings);

    public static void MapEndpoints(WebApplication app)
    {
        var boards = app.MapGroup("/boards/{name}");
        boards.MapGet("/top", (string name, int n, ILeaderboardProvider provider, CancellationToken ct) => provider.Get(name).GetTopAsync(n, ct));
        boards.MapGet("/page", (string name, long offset, int count, ILeaderboardProvider provider, CancellationToken ct) => provider.Get(name).GetPageAsync(offset, count, ct));
        boards.MapGet("/members/{member}", async (string name, string member, ILeaderboardProvider provider, CancellationToken ct)
            => await provider.Get(name).GetEntryAsync(member, ct) is { } entry ? Results.Ok(entry) : Results.NotFound());
        boards.MapGet("/members/{member}/around", (string name, string member, int k, ILeaderboardProvider provider, CancellationToken ct)
            => provider.Get(name).GetAroundAsync(member, k, ct));
        boards.MapPut("/members/{member}", async (string name, string member, double score, ILeaderboardProvider provider, CancellationToken ct)
            => { await provider.Get(name).SetAsync(member, score, ct); return Results.NoContent(); });
        boards.MapPost("/members/{member}/increment", (string name, string member, double by, ILeaderboardProvider provider, CancellationToken ct)
            => provider.Get(name).IncrementAsync(member, by, ct));
        boards.MapPost("/members/{member}/submit", (string name, string member, double score, ILeaderboardProvider provider, CancellationToken ct)
            => provider.Get(name).SubmitAsync(member, score, ct));
        boards.MapDelete("/members/{member}", (string name, string member, ILeaderboardProvider provider, CancellationToken ct)
            => provider.Get(name).RemoveAsync(member, ct));
        app.MapGet("/scores/top", ([FromKeyedServices("scores")] ILeaderboard board, CancellationToken ct) => board.GetTopAsync(3, ct));
    }

    public static async Task<LeaderboardEntry[]> TopAsync(this TestApp app, string board, int n)
        => (await app.Client.GetFromJsonAsync<LeaderboardEntry[]>($"/boards/{board}/top?n={n}"))!;

    public static async Task<LeaderboardEntry[]> PageAsync(this TestApp app, string board, long offset, int count)
        => (await app.Client.GetFromJsonAsync<LeaderboardEntry[]>($"/boards/{board}/page?offset={offset}&count={count}"))!;

    public static async Task<LeaderboardEntry?> EntryAsync(this TestApp app, string board, string member)
    {
        var response = await app.Client.GetAsync($"/boards/{board}/members/{member}");
        return response.StatusCode == HttpStatusCode.NotFound ? null : await response.Content.ReadFromJsonAsync<LeaderboardEntry>();
    }

    public static async Task<LeaderboardEntry[]> AroundAsync(this TestApp app, string board, string member, int k)
        => (await app.Client.GetFromJsonAsync<LeaderboardEntry[]>($"/boards/{board}/members/{member}/around?k={k}"))!;

    public static async Task SetAsync(this TestApp app, string board, string member, double score)
        => (await app.Client.PutAsync($"/boards/{board}/members/{member}?score={Number(score)}", null)).EnsureSuccessStatusCode();

    public static async Task<double> IncrementAsync(this TestApp app, string board, string member, double by)
        => await PostAsync<double>(app, $"/boards/{board}/members/{member}/increment?by={Number(by)}");

    public static async Task<bool> SubmitAsync(this TestApp app, string board, string member, double score)
        => await PostAsync<bool>(app, $"/boards/{board}/members/{member}/submit?score={Number(score)}");

    public static async Task<bool> RemoveAsync(this TestApp app, string board, string member)
    {
        var response = await app.Client.DeleteAsync($"/boards/{board}/members/{member}");
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<bool>())!;
    }

    /// <summary>"member rank score" per entry, for compact assertions.</summary>
    public static string[] Lines(IEnumerable<LeaderboardEntry> entries)
        => [.. entries.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Member} {e.Rank} {e.Score}"))];

    private static async Task<T> PostAsync<T>(TestApp app, string path)
    {
        var response = await app.Client.PostAsync(path, null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A clock the test moves (periods change without waiting for midnight).</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
