using Kv.AspNetCore.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// An app wired as the README shows (AddKvRateLimiting, AddRateLimiter + AddKvSlidingWindowLimiter,
/// UseKvRateLimiter) with <c>GET /limited</c> under the policy "api", partitioned by the X-User header;
/// each test uses its own users, so tests sharing a redis-server never share a budget.
/// </summary>
internal static class RateLimitApp
{
    public static Task<TestApp> StartAsync(
        IDictionary<string, string?> settings,
        Action<KvSlidingWindowRateLimiterOptions> policy,
        Action<RateLimiterOptions>? rateLimiter = null,
        Action<IServiceCollection>? services = null)
        => TestApp.StartAsync(
            s =>
            {
                s.AddKvRateLimiting();
                s.AddRateLimiter(o =>
                {
                    o.AddKvSlidingWindowLimiter("api", p =>
                    {
                        p.PartitionKey = context => context.Request.Headers["X-User"].ToString();
                        policy(p);
                    });
                    rateLimiter?.Invoke(o);
                });
                services?.Invoke(s);
            },
            app =>
            {
                app.UseKvRateLimiter();
                app.MapGet("/limited", () => "ok").RequireRateLimiting("api");
                app.MapGet("/free", () => "free");
            },
            settings);

    public static Task<HttpResponseMessage> GetAsync(this TestApp app, string user, string path = "/limited")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-User", user);
        return app.Client.SendAsync(request);
    }

    /// <summary>The single value of a response header (null when absent).</summary>
    public static string? Header(this HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;

    /// <summary>
    /// Waits for the start of the server's next fixed window of <paramref name="window"/> (and 20 ms), so
    /// that a test of the counter algorithm runs within one window rather than across two.
    /// </summary>
    public static async Task StartOfNextWindowAsync(this Kv.Client.KvClient kv, TimeSpan window)
    {
        var time = await kv.ExecuteAsync("TIME");
        long now = (time[0].AsInt64() * 1_000_000) + time[1].AsInt64();
        long w = window.Ticks / TimeSpan.TicksPerMicrosecond;
        long next = ((now / w) + 1) * w;
        await Task.Delay(TimeSpan.FromMicroseconds(next - now + 20_000));
    }

    /// <summary>A user id no other test uses.</summary>
    public static string NewUser() => "u" + Guid.NewGuid().ToString("N");
}
