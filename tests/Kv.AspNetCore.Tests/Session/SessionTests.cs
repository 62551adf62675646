using System.Globalization;
using System.Net;
using Kv.AspNetCore.Session;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Session;

/// <summary>
/// AddKvSession/UseKvSession in a real app on Kestrel, with a cookie-keeping client, on the embedded
/// server and on redis-server; what reaches the server is read from INFO commandstats.
/// </summary>
public sealed class SessionTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ValuesSetInOneRequestAreReadInTheNext(string server)
    {
        await using var app = await StartAsync(fixture.Settings(server));
        using var client = CookieClient(app);

        var set = await client.PostAsync("/set?name=Ada&lang=C%23", null);
        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        string cookie = Assert.Single(set.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(".Kv.Session=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("no-store", set.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        var get = await client.GetAsync("/get");
        Assert.Equal("lang=C#;name=Ada", await get.Content.ReadAsStringAsync());
        Assert.False(get.Headers.Contains("Set-Cookie"), "an existing session's cookie is not sent again");

        // One hash, one field per key, the bytes as set.
        var kv = app.Services.GetRequiredService<KvClient>();
        var hash = await kv.HGetAllAsync("session:" + SessionId(get));
        Assert.Equal(["lang=C#", "name=Ada"], hash.Select(e => $"{e.Field}={e.Value}").Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ARequestWithoutACookieThatStaysEmptyCostsNoServerCall(string server)
    {
        await using var app = await StartAsync(fixture.Settings(server));
        using var client = CookieClient(app);
        var before = await CommandCalls(app);

        var nothing = await client.GetAsync("/nothing");
        var read = await client.GetAsync("/get");
        var cleared = await client.PostAsync("/clear", null);
        var setThenRemoved = await client.PostAsync("/set-remove?key=a", null);

        var after = await CommandCalls(app);
        foreach (var response in new[] { nothing, read, cleared, setThenRemoved })
        {
            Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
            Assert.False(response.Headers.Contains("Set-Cookie"), "an empty new session sends no cookie");
        }

        foreach (string command in new[] { "hgetall", "pexpire", "multi", "exec", "hset", "hdel", "del" })
        {
            Assert.True(Calls(before, command) == Calls(after, command), $"{command}: {Calls(before, command)} calls before, {Calls(after, command)} after");
        }
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ALoadIsOneReadAndARequestThatChangesNothingWritesNothing(string server)
    {
        await using var app = await StartAsync(fixture.Settings(server));
        using var client = CookieClient(app);
        (await client.PostAsync("/set?a=1", null)).EnsureSuccessStatusCode();
        var before = await CommandCalls(app);

        Assert.Equal("a=1", await client.GetStringAsync("/get"));
        Assert.Equal("ok", await client.GetStringAsync("/nothing"));

        var after = await CommandCalls(app);
        Assert.Equal(2, Calls(after, "hgetall") - Calls(before, "hgetall"));
        Assert.Equal(2, Calls(after, "pexpire") - Calls(before, "pexpire"));
        Assert.Equal(0, Calls(after, "exec") - Calls(before, "exec"));
        Assert.Equal(0, Calls(after, "hset") - Calls(before, "hset"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ConcurrentRequestsChangingDifferentKeysBothKeepTheirChange(string server)
    {
        int arrived = 0;
        var bothLoaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await StartAsync(fixture.Settings(server), endpoints: a =>
            a.MapPost("/together", async (HttpContext context) =>
            {
                SetFromQuery(context);

                // Both requests have loaded the same session before either saves.
                if (Interlocked.Increment(ref arrived) == 2)
                {
                    bothLoaded.TrySetResult();
                }

                await bothLoaded.Task.WaitAsync(Deadline);
                return Results.NoContent();
            }));
        using var client = CookieClient(app);
        (await client.PostAsync("/set?base=0", null)).EnsureSuccessStatusCode();

        var first = client.PostAsync("/together?left=1", null);
        var second = client.PostAsync("/together?right=2", null);
        (await first).EnsureSuccessStatusCode();
        (await second).EnsureSuccessStatusCode();

        Assert.Equal("base=0;left=1;right=2", await client.GetStringAsync("/get"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task RemoveDeletesItsKeyAndClearDeletesTheHash(string server)
    {
        await using var app = await StartAsync(fixture.Settings(server));
        using var client = CookieClient(app);
        var kv = app.Services.GetRequiredService<KvClient>();
        (await client.PostAsync("/set?a=1&b=2&c=3", null)).EnsureSuccessStatusCode();
        var get = await client.GetAsync("/get");
        string key = "session:" + SessionId(get);

        (await client.PostAsync("/remove?key=b", null)).EnsureSuccessStatusCode();
        Assert.Equal("a=1;c=3", await client.GetStringAsync("/get"));
        Assert.Equal(["a", "c"], (await kv.HKeysAsync(key)).Select(f => f.ToString()).Order(StringComparer.Ordinal));

        // Clear then set in one request: the hash holds only what was set after the clear.
        (await client.PostAsync("/clear?d=4", null)).EnsureSuccessStatusCode();
        Assert.Equal("d=4", await client.GetStringAsync("/get"));
        Assert.Equal(["d"], (await kv.HKeysAsync(key)).Select(f => f.ToString()));
        Assert.True(await PTtl(kv, key) > 0, "the hash written after a clear has its idle timeout");

        (await client.PostAsync("/clear", null)).EnsureSuccessStatusCode();
        Assert.Equal("", await client.GetStringAsync("/get"));
        Assert.Equal(0, await kv.ExistsAsync(key));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task TheIdleTimeoutIsSetByAWriteAndSlidesWithEveryLoad(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Session:IdleTimeout"] = "00:07:00";
        settings["Kv:Session:KeyPrefix"] = "shop:session:";
        settings["Kv:Session:Cookie:Name"] = "shop.session";
        await using var app = await StartAsync(settings);
        using var client = CookieClient(app);
        var kv = app.Services.GetRequiredService<KvClient>();
        long idle = (long)TimeSpan.FromMinutes(7).TotalMilliseconds;

        var set = await client.PostAsync("/set?a=1", null);
        set.EnsureSuccessStatusCode();
        Assert.StartsWith("shop.session=", set.Headers.GetValues("Set-Cookie").Single(), StringComparison.Ordinal);
        string key = "shop:session:" + SessionId(await client.GetAsync("/get"));
        long afterWrite = await PTtl(kv, key);
        Assert.InRange(afterWrite, idle - 5_000, idle);

        // A request that only reads pushes the expiry back out (PEXPIRE in the load's round trip).
        await kv.ExecuteAsync("PEXPIRE", key, 60_000);
        Assert.Equal("a=1", await client.GetStringAsync("/get"));
        Assert.InRange(await PTtl(kv, key), idle - 5_000, idle);

        // So does a write of one key.
        await kv.ExecuteAsync("PEXPIRE", key, 60_000);
        (await client.PostAsync("/remove?key=missing", null)).EnsureSuccessStatusCode();
        await kv.ExecuteAsync("PEXPIRE", key, 60_000);
        (await client.PostAsync("/set?b=2", null)).EnsureSuccessStatusCode();
        Assert.InRange(await PTtl(kv, key), idle - 5_000, idle);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ACookieThatDoesNotUnprotectStartsANewSessionWithoutAServerRead(string server)
    {
        var logs = new LogCollector();
        await using var app = await StartAsync(fixture.Settings(server), logs: logs);
        using var client = ManualCookieClient(app);
        var before = await CommandCalls(app);

        var response = await client.SendAsync(WithCookie(HttpMethod.Get, "/get", "not-a-protected-id"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
        Assert.Equal(Calls(before, "hgetall"), Calls(await CommandCalls(app), "hgetall"));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("could not be unprotected", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ChangesMadeAfterTheResponseStartedAreSavedWhenTheRequestEnds(string server)
    {
        await using var app = await StartAsync(fixture.Settings(server), endpoints: a =>
            a.MapPost("/set-late", async (HttpContext context) =>
            {
                await context.Response.WriteAsync("started");
                await context.Response.Body.FlushAsync();
                SetFromQuery(context);
            }));
        using var client = CookieClient(app);
        (await client.PostAsync("/set?a=1", null)).EnsureSuccessStatusCode();

        Assert.Equal("started", await (await client.PostAsync("/set-late?b=2", null)).Content.ReadAsStringAsync());

        Assert.Equal("a=1;b=2", await client.GetStringAsync("/get"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task NoSessionStartsBeforeConsentUnlessTheCookieIsEssential(string server)
    {
        foreach (bool essential in new[] { false, true })
        {
            var settings = fixture.Settings(server);
            settings["Kv:Session:Cookie:IsEssential"] = essential ? "true" : "false";
            await using var app = await StartAsync(
                settings,
                configure: s => s.Configure<CookiePolicyOptions>(o => o.CheckConsentNeeded = _ => true),
                pipeline: a => a.UseCookiePolicy());
            using var client = CookieClient(app);
            var before = await CommandCalls(app);

            var set = await client.PostAsync("/set?a=1", null);

            set.EnsureSuccessStatusCode();
            Assert.Equal(essential, set.Headers.Contains("Set-Cookie"));
            Assert.Equal(essential ? 1 : 0, Calls(await CommandCalls(app), "exec") - Calls(before, "exec"));
        }
    }

    [Fact]
    public async Task ThrowFailsTheRequestWhenTheLoadFails()
    {
        var logs = new LogCollector();
        await using var app = await StartAsync(DeadServer(KvFailureMode.Throw), logs: logs);
        using var client = ManualCookieClient(app);

        var response = await client.SendAsync(WithCookie(HttpMethod.Get, "/get", MintCookie(app)));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith("Kv session load failed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/set?a=1")]
    [InlineData("/set-text?a=1")]
    public async Task ThrowFailsTheRequestWhenTheSaveFails(string path)
    {
        // /set answers 204 without a body (saved as the request ends); /set-text writes a body (saved as the response starts).
        var logs = new LogCollector();
        await using var app = await StartAsync(DeadServer(KvFailureMode.Throw), logs: logs);
        using var client = CookieClient(app);

        var response = await client.PostAsync(path, null);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"), "no cookie for a session that was not saved");
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.StartsWith("Kv session commit failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IgnoreGoesOnWithAnEmptySessionWhenTheLoadFails()
    {
        var logs = new LogCollector();
        await using var app = await StartAsync(DeadServer(KvFailureMode.Ignore), logs: logs);
        using var client = ManualCookieClient(app);

        var read = await client.SendAsync(WithCookie(HttpMethod.Get, "/get", MintCookie(app)));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("", await read.Content.ReadAsStringAsync());
        Assert.Equal("false", read.Headers.GetValues("X-Session-Available").Single());

        // Values set in such a request are readable in it, and not saved.
        var set = await client.SendAsync(WithCookie(HttpMethod.Post, "/set-text?a=1", MintCookie(app)));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("a=1", await set.Content.ReadAsStringAsync());

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.StartsWith("Kv session could not be loaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IgnoreAnswersWhenTheSaveFailsAndLogsIt()
    {
        var logs = new LogCollector();
        await using var app = await StartAsync(DeadServer(KvFailureMode.Ignore), logs: logs);
        using var first = CookieClient(app);
        using var second = CookieClient(app);

        Assert.Equal(HttpStatusCode.NoContent, (await first.PostAsync("/set?a=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await second.PostAsync("/set-text?b=2", null)).StatusCode);

        Assert.Equal(2, logs.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.StartsWith("Kv session changes were not saved", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task InvalidOptionsStopTheHostNamingTheKey()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new() { ["Kv:Session:IdleTimeout"] = "00:00:00" }));
        Assert.Contains("Kv:Session:IdleTimeout", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseKvSessionWithoutAddKvSessionSaysWhatToCall()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => TestApp.StartAsync(_ => { }, a => a.UseKvSession()));
        Assert.Contains("AddKvSession", failure.Message, StringComparison.Ordinal);
    }

    private static Task<TestApp> StartAsync(
        Dictionary<string, string?> settings,
        Action<WebApplication>? endpoints = null,
        LogCollector? logs = null,
        Action<IServiceCollection>? configure = null,
        Action<WebApplication>? pipeline = null)
        => TestApp.StartAsync(
            services =>
            {
                services.AddKvSession();
                configure?.Invoke(services);
                services.AddDataProtection().UseEphemeralDataProtectionProvider();
                if (logs is not null)
                {
                    services.AddSingleton<ILoggerProvider>(logs);
                }
            },
            app =>
            {
                pipeline?.Invoke(app);
                app.UseKvSession();
                MapEndpoints(app);
                endpoints?.Invoke(app);
            },
            settings);

    private static void MapEndpoints(WebApplication app)
    {
        app.MapGet("/get", (HttpContext context) =>
        {
            var session = context.Session;
            context.Response.Headers["X-Session-Id"] = session.Id;
            context.Response.Headers["X-Session-Available"] = session.IsAvailable ? "true" : "false";
            return Results.Text(Dump(session));
        });
        app.MapGet("/nothing", () => "ok");
        app.MapPost("/set", (HttpContext context) =>
        {
            SetFromQuery(context);
            return Results.NoContent();
        });
        app.MapPost("/set-text", (HttpContext context) =>
        {
            SetFromQuery(context);
            return Results.Text(Dump(context.Session));
        });
        app.MapPost("/remove", (string key, HttpContext context) =>
        {
            context.Session.Remove(key);
            return Results.NoContent();
        });
        app.MapPost("/set-remove", (string key, HttpContext context) =>
        {
            context.Session.SetString(key, "x");
            context.Session.Remove(key);
            return Results.NoContent();
        });
        app.MapPost("/clear", (HttpContext context) =>
        {
            context.Session.Clear();
            SetFromQuery(context);
            return Results.NoContent();
        });
    }

    private static void SetFromQuery(HttpContext context)
    {
        foreach (var (key, value) in context.Request.Query)
        {
            context.Session.SetString(key, value.ToString());
        }
    }

    private static string Dump(ISession session)
        => string.Join(";", session.Keys.Order(StringComparer.Ordinal).Select(k => $"{k}={session.GetString(k)}"));

    private static string SessionId(HttpResponseMessage response) => response.Headers.GetValues("X-Session-Id").Single();

    private static HttpClient CookieClient(TestApp app)
        => new(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = app.Client.BaseAddress };

    private static HttpClient ManualCookieClient(TestApp app)
        => new(new HttpClientHandler { UseCookies = false }) { BaseAddress = app.Client.BaseAddress };

    private static HttpRequestMessage WithCookie(HttpMethod method, string path, string cookieValue)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("Cookie", $".Kv.Session={cookieValue}");
        return request;
    }

    /// <summary>A valid session cookie for a session the server has never seen.</summary>
    private static string MintCookie(TestApp app) => app.Services.GetRequiredService<KvSessionStore>().Cookie.Protect(KvSessionCookie.NewId());

    /// <summary>An endpoint where nothing listens, with short timeouts so a failure comes quickly.</summary>
    private static Dictionary<string, string?> DeadServer(KvFailureMode mode) => new()
    {
        ["Kv:Endpoint"] = $"redis://127.0.0.1:{RedisProcess.FreePort()}",
        ["Kv:ConnectTimeout"] = "00:00:00.200",
        ["Kv:CommandTimeout"] = "00:00:00.500",
        ["Kv:Session:OnServerUnavailable"] = mode.ToString(),
    };

    private static async Task<Dictionary<string, long>> CommandCalls(TestApp app)
    {
        var client = app.Services.GetRequiredService<KvClient>();
        string info = (await client.ExecuteAsync("INFO", "commandstats")).AsString()!;
        var calls = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in info.Split('\n', StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("cmdstat_", StringComparison.Ordinal) && line.IndexOf(':') is > 0 and var colon)
            {
                string stats = line[(colon + 1)..];
                string count = stats["calls=".Length..stats.IndexOf(',')];
                calls[line["cmdstat_".Length..colon]] = long.Parse(count, CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    private static async Task<long> PTtl(KvClient kv, string key) => (await kv.ExecuteAsync("PTTL", key)).AsInt64();

    private static long Calls(Dictionary<string, long> calls, string command) => calls.GetValueOrDefault(command);
}
