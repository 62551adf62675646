using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.MethodCaching;

/// <summary>[Cache] services in a real app on Kestrel, against the embedded server and redis-server.</summary>
public sealed class MethodCacheTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Catalog = "Kv.AspNetCore.Tests.MethodCaching.IProductCatalog.";

    public static TheoryData<string> Servers => RedisFixture.Servers;

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ASecondCallIsAnsweredFromTheCacheForTaskValueTaskAndSynchronousMethods(string server)
    {
        await using var app = await StartAsync(server);
        var calls = app.Services.GetRequiredService<CallCounter>();

        // Through an endpoint, as an app uses it: a scoped catalog per request.
        string first = await app.Client.GetStringAsync("/products/7");
        string second = await app.Client.GetStringAsync("/products/7");
        Assert.Equal(first, second);
        Assert.Contains("product 7", first, StringComparison.Ordinal);
        Assert.Equal(1, calls[nameof(IProductCatalog.GetProductAsync)]);

        using var scope = app.Services.CreateScope();
        var catalog = scope.ServiceProvider.GetRequiredService<IProductCatalog>();
        Assert.Equal("bolt x3", await catalog.DescribeAsync("bolt", 3));
        Assert.Equal("bolt x3", await catalog.DescribeAsync("bolt", 3));
        Assert.Equal("bolt x4", await catalog.DescribeAsync("bolt", 4));
        Assert.Equal(2, calls[nameof(IProductCatalog.DescribeAsync)]);

        Assert.Equal(5, catalog.Count("tools"));
        Assert.Equal(5, catalog.Count("tools"));
        Assert.Equal(-1, catalog.Count(null));
        Assert.Equal(-1, catalog.Count(null));
        Assert.Equal(2, calls[nameof(IProductCatalog.Count)]);

        // Members without attributes forward to the service.
        Assert.Equal("catalog", catalog.Name);
        Assert.Equal(10, await catalog.PlainAsync(5));
        Assert.Equal(10, await catalog.PlainAsync(5));
        Assert.Equal(2, calls[nameof(IProductCatalog.PlainAsync)]);

        // Records, DateTime and Guid arguments make keys too; the stored entry has the 600 s TTL.
        var example = new Product(1, "nut", 0.5m, ["x"]);
        var asOf = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        var tenant = Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff");
        var made = await catalog.ByExampleAsync(example, asOf, tenant);
        Assert.Equal(made.Name, (await catalog.ByExampleAsync(example with { Tags = ["x"] }, asOf, tenant)).Name);
        Assert.Equal(["x"], (await catalog.ByExampleAsync(example, asOf, tenant)).Tags);
        Assert.Equal(made.Name, (await catalog.ByExampleAsync(example with { Price = 0.50001m }, asOf, tenant)).Name);
        Assert.Equal(2, calls[nameof(IProductCatalog.ByExampleAsync)]);
        await WaitForKeyAsync(app.Kv(), $"kvm:1:{Catalog}GetProductAsync(int, System.Threading.CancellationToken):7");
        long ttl = await app.Kv().PTtlAsync($"kvm:1:{Catalog}GetProductAsync(int, System.Threading.CancellationToken):7");
        Assert.InRange(ttl, 590_000, 600_000);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task KeysAreTheDocumentedTextSoAnotherProcessOrMachineFindsTheSameEntries(string server)
    {
        await using var app = await StartAsync(server, new() { ["Kv:Cache:InstanceName"] = "shop:" });
        using var scope = app.Services.CreateScope();
        var catalog = scope.ServiceProvider.GetRequiredService<IProductCatalog>();
        await catalog.GetProductAsync(42);
        await catalog.DescribeAsync("a:b", 12);
        catalog.Count(null);
        await catalog.ByExampleAsync(new Product(1, "nut", 0.5m, ["x"]), new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc), Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"));

        // Golden values, committed: a change of format (which would strand every entry at a deploy) fails here.
        var kv = app.Kv();
        string[] expected =
        [
            $"shop:kvm:1:{Catalog}GetProductAsync(int, System.Threading.CancellationToken):42",
            $"shop:kvm:1:{Catalog}DescribeAsync(string, int):3:a:b:12",
            $"shop:kvm:1:{Catalog}Count(string):~",

            // Over 200 UTF-8 bytes: the first 200 characters, '#', and the SHA-256 of the whole key (base64url).
            $"shop:kvm:1:{Catalog}ByExampleAsync(Kv.AspNetCore.Tests.MethodCaching.Product, System.DateTime, System.Guid):46:{{\"Id\":1,\"Name\":\"nut\",\"Price\":0.5,\"Tags\":[\"x\"]}}:2024-0#9ZmbpCFwFqR90ACpJXAWLmJ99CrXXVLEJ2zejWEtiTY",
        ];
        foreach (string key in expected)
        {
            await WaitForKeyAsync(kv, key);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AHundredConcurrentCallersOfAColdKeyShareOneCall(string server)
    {
        await using var app = await StartAsync(server);
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        var callers = new Task<int>[100];
        for (int i = 0; i < callers.Length; i++)
        {
            callers[i] = Task.Run(() => catalog.SlowAsync(1, CancellationToken.None));
        }

        // Callers that arrive after the call returned read its entry, or join the flight until it is stored:
        // one call however the 100 interleave.
        await calls.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, Flights(app));
        calls.Gate.SetResult(99);
        int[] results = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(results, r => Assert.Equal(99, r));
        Assert.Equal(1, calls[nameof(IProductCatalog.SlowAsync)]);
        Assert.Equal(99, await catalog.SlowAsync(1, CancellationToken.None));
        Assert.Equal(1, calls[nameof(IProductCatalog.SlowAsync)]);
    }

    [Fact]
    public async Task OneWaiterGivingUpLeavesTheSharedCallRunningAndTheLastOneCancelsIt()
    {
        await using var app = await StartAsync("embedded");
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var a = catalog.SlowAsync(2, first.Token);
        await calls.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var b = catalog.SlowAsync(2, second.Token);
        await WaitUntilAsync(() => Waiters(app) == 2);

        first.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.False(calls.SlowToken.IsCancellationRequested);
        calls.Gate.SetResult(5);
        Assert.Equal(5, await b.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, calls[nameof(IProductCatalog.SlowAsync)]);

        // Alone, a caller that gives up cancels the call (the method's token), and nothing is stored.
        calls.Gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var third = new CancellationTokenSource();
        var c = catalog.SlowAsync(3, third.Token);
        await WaitUntilAsync(() => calls[nameof(IProductCatalog.SlowAsync)] == 2);
        var token = calls.SlowToken;
        third.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c);
        await WaitUntilAsync(() => token.IsCancellationRequested);
        calls.Gate.SetResult(6);
        Assert.Equal(6, await catalog.SlowAsync(3, CancellationToken.None));
        Assert.Equal(3, calls[nameof(IProductCatalog.SlowAsync)]);
    }

    [Fact]
    public async Task AResultWhoseEntryWasInvalidatedDuringTheCallIsReturnedButNotStored()
    {
        await using var app = await StartAsync("embedded");
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        var pending = catalog.SlowAsync(4, CancellationToken.None);
        await calls.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The data changed while the method was reading it: its result may be stale.
        await app.Services.GetRequiredService<IKvMethodCache>().InvalidateAsync<IProductCatalog>(nameof(IProductCatalog.SlowAsync), [4]);
        calls.Gate.SetResult(40);
        Assert.Equal(40, await pending.WaitAsync(TimeSpan.FromSeconds(10)));
        await WaitUntilAsync(() => Flights(app) == 0);
        Assert.Equal(40, await catalog.SlowAsync(4, CancellationToken.None));
        Assert.Equal(2, calls[nameof(IProductCatalog.SlowAsync)]);
    }

    [Fact]
    public async Task ExceptionsReachEveryWaiterAndAreNotCached()
    {
        await using var app = await StartAsync("embedded");
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        var failures = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Record.ExceptionAsync(() => catalog.FailAsync(1))));
        Assert.All(failures, f => Assert.IsType<InvalidOperationException>(f));
        int first = calls[nameof(IProductCatalog.FailAsync)];
        Assert.InRange(first, 1, 10);
        var again = await Record.ExceptionAsync(() => catalog.FailAsync(1));
        Assert.Equal($"failure {first + 1}", again?.Message);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task AnInvalidationRightAfterAMissIsNeverUndoneByTheMissesLateStore(string server)
    {
        // The caller has its result before the entry is stored; an update right away must still win:
        // its eviction waits for that store instead of racing it (this failed about 1 run in 20 before).
        await using var app = await StartAsync(server);
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        for (int id = 100; id < 300; id++)
        {
            Assert.Equal($"product {id}", (await catalog.GetProductAsync(id))!.Name);
            await catalog.UpdateProductAsync(id, "renamed");
            Assert.Equal("renamed", (await catalog.GetProductAsync(id))!.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task CacheInvalidateEvictsTheNamedMethodsEntryForTheSameArgumentsAfterTheMethodSucceeds(string server)
    {
        await using var app = await StartAsync(server);
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        Assert.Equal("product 1", (await catalog.GetProductAsync(1))!.Name);
        Assert.Equal("product 2", (await catalog.GetProductAsync(2))!.Name);

        await catalog.UpdateProductAsync(1, "renamed");
        Assert.Equal("renamed", (await catalog.GetProductAsync(1))!.Name);
        Assert.Equal("product 2", (await catalog.GetProductAsync(2))!.Name);
        Assert.Equal(3, calls[nameof(IProductCatalog.GetProductAsync)]);

        // A synchronous void method evicts too; only its argument's entry.
        catalog.Count("a");
        catalog.Count("bb");
        catalog.Recount("a");
        catalog.Count("a");
        catalog.Count("bb");
        Assert.Equal(3, calls[nameof(IProductCatalog.Count)]);

        // From code, with the arguments boxed.
        var methods = app.Services.GetRequiredService<IKvMethodCache>();
        await methods.InvalidateAsync<IProductCatalog>(nameof(IProductCatalog.GetProductAsync), [2]);
        await catalog.GetProductAsync(2);
        Assert.Equal(4, calls[nameof(IProductCatalog.GetProductAsync)]);
        await methods.InvalidateAsync<IProductCatalog>(nameof(IProductCatalog.LookupAsync), [5L]);
        await Assert.ThrowsAsync<ArgumentException>(() => methods.InvalidateAsync<IProductCatalog>(nameof(IProductCatalog.GetProductAsync), ["x"]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => methods.InvalidateAsync<IProductCatalog>("Nope", [1]).AsTask());
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task TagsEvictEveryEntryWrittenWithThem(string server)
    {
        await using var app = await StartAsync(server);
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        await catalog.GetProductAsync(1);
        await catalog.GetProductAsync(2);
        await catalog.FindAsync(3);
        await catalog.DescribeAsync("untagged", 1);
        await WaitUntilAsync(() => Flights(app) == 0);
        long setTtl = await app.Kv().PTtlAsync("kvm:1#tag:products");
        Assert.InRange(setTtl, 590_000, 600_000);

        Assert.Equal(1, await catalog.ClearCatalogAsync());
        Assert.Equal(0, (await app.Kv().ExecuteAsync("EXISTS", "kvm:1#tag:products")).AsInt64());
        await catalog.GetProductAsync(1);
        await catalog.GetProductAsync(2);
        await catalog.FindAsync(3);
        await catalog.DescribeAsync("untagged", 1);
        Assert.Equal(4, calls[nameof(IProductCatalog.GetProductAsync)]);
        Assert.Equal(2, calls[nameof(IProductCatalog.FindAsync)]);
        Assert.Equal(1, calls[nameof(IProductCatalog.DescribeAsync)]);

        await WaitUntilAsync(() => Flights(app) == 0);
        await app.Services.GetRequiredService<IKvMethodCache>().InvalidateTagAsync("products");
        await catalog.GetProductAsync(1);
        Assert.Equal(5, calls[nameof(IProductCatalog.GetProductAsync)]);
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task NullsAreCachedAsAMarkerUnlessTheMethodOrTheOptionsSayNot(string server)
    {
        await using (var app = await StartAsync(server))
        {
            var calls = app.Services.GetRequiredService<CallCounter>();
            var catalog = app.Services.GetRequiredService<IProductCatalog>();
            Assert.Null(await catalog.FindAsync(1));
            Assert.Null(await catalog.FindAsync(1));
            Assert.Equal(1, calls[nameof(IProductCatalog.FindAsync)]);
            await WaitForKeyAsync(app.Kv(), $"kvm:1:{Catalog}FindAsync(int):1");
            Assert.Equal([0], (byte[]?)(await app.Kv().ExecuteAsync("HGET", $"kvm:1:{Catalog}FindAsync(int):1", "data")).AsValue());

            Assert.Null(await catalog.FindSkippingNullsAsync(1));
            Assert.Null(await catalog.FindSkippingNullsAsync(1));
            Assert.Equal(2, calls[nameof(IProductCatalog.FindSkippingNullsAsync)]);
        }

        await using (var app = await StartAsync(server, new() { ["Kv:MethodCache:CacheNulls"] = "false", ["Kv:MethodCache:Version"] = "2" }))
        {
            var calls = app.Services.GetRequiredService<CallCounter>();
            var catalog = app.Services.GetRequiredService<IProductCatalog>();
            Assert.Null(await catalog.FindAsync(1));
            Assert.Null(await catalog.FindAsync(1));
            Assert.Equal(2, calls[nameof(IProductCatalog.FindAsync)]);
        }
    }

    [Fact]
    public async Task OverloadsAndVersionsHaveTheirOwnEntries()
    {
        await using var app = await StartAsync("embedded");
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        Assert.Equal("int 5", await catalog.LookupAsync(5));
        Assert.Equal("long 5", await catalog.LookupAsync(5L));
        Assert.Equal("int 5", await catalog.LookupAsync(5));
    }

    [Fact]
    public async Task ADecorationOfAnExistingRegistrationKeepsItsLifetime()
    {
        await using var app = await TestApp.StartAsync(s =>
        {
            s.AddSingleton<CallCounter>();
            s.AddSingleton<IProductCatalog, ProductCatalog>();
            s.DecorateWithKvCaching<IProductCatalog>();
        });
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        Assert.Same(catalog, app.Services.GetRequiredService<IProductCatalog>());
        Assert.IsNotType<ProductCatalog>(catalog);
        await catalog.GetProductAsync(1);
        await catalog.GetProductAsync(1);
        Assert.Equal(1, app.Services.GetRequiredService<CallCounter>()[nameof(IProductCatalog.GetProductAsync)]);

        var missing = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddKvCaching<IDisposable, MemoryStream>());
        Assert.Contains("No [Cache] decorator was generated for System.IDisposable", missing.Message, StringComparison.Ordinal);
        Assert.Contains("OutputItemType=\"Analyzer\"", missing.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().DecorateWithKvCaching<IProductCatalog>());
    }

    [Fact]
    public async Task WithTheServerDownAndIgnoreTheRealMethodAnswers()
    {
        await using var app = await StartAsync("embedded", new()
        {
            ["Kv:Endpoint"] = $"redis://127.0.0.1:{RedisProcess.FreePort()}",
            ["Kv:ConnectTimeout"] = "00:00:00.3",
            ["Kv:CommandTimeout"] = "00:00:00.3",
            ["Kv:Cache:OnServerUnavailable"] = "Ignore",
        });
        var calls = app.Services.GetRequiredService<CallCounter>();
        var catalog = app.Services.GetRequiredService<IProductCatalog>();
        Assert.Equal("product 1", (await catalog.GetProductAsync(1))!.Name);
        Assert.Equal("product 1", (await catalog.GetProductAsync(1))!.Name);
        await catalog.UpdateProductAsync(1, "x");
        await catalog.ClearCatalogAsync();

        // The second call may join the first's flight while its write waits out the timeout.
        Assert.InRange(calls[nameof(IProductCatalog.GetProductAsync)], 1, 2);
        Assert.Equal("product 2", (await catalog.GetProductAsync(2))!.Name);
    }

    [Fact]
    public async Task InvalidSettingsStopTheHostNamingTheKey()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync("embedded", new() { ["Kv:MethodCache:Version"] = "a b" }));
        Assert.Contains("Kv:MethodCache:Version", failure.Message, StringComparison.Ordinal);
    }

    private static int Waiters(TestApp app)
        => app.Services.GetRequiredService<Kv.AspNetCore.MethodCaching.KvMethodCache>().Flights.Values.Sum(f => ((Kv.AspNetCore.MethodCaching.IFlight)f).Waiters);

    private static int Flights(TestApp app) => app.Services.GetRequiredService<Kv.AspNetCore.MethodCaching.KvMethodCache>().Flights.Count;

    // Callers get the result before it is stored: the entry lands a moment later.
    private static async Task WaitForKeyAsync(Kv.Client.KvClient kv, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await kv.ExecuteAsync("EXISTS", key)).AsInt64() == 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                string keys = string.Join("\n", (await kv.ExecuteAsync("KEYS", "*")).Items.ToArray().Select(k => k.AsString()));
                Assert.Fail($"{key} was not stored within 10 s; the keys:\n{keys}");
            }

            await Task.Delay(5);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition was not met within 10 s.");
            await Task.Delay(5);
        }
    }

    private async Task<TestApp> StartAsync(string server, Dictionary<string, string?>? extra = null)
    {
        var settings = redis.Settings(server);
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        if (server == "redis")
        {
            // Each test its own database state: entries of an earlier test would be hits here.
            await using var kv = await Kv.Client.KvClient.ConnectAsync(settings["Kv:Endpoint"]!);
            await kv.ExecuteAsync("FLUSHALL");
        }

        return await TestApp.StartAsync(
            s =>
            {
                s.AddSingleton<CallCounter>();
                s.AddKvCaching<IProductCatalog, ProductCatalog>(ServiceLifetime.Singleton);
            },
            app => app.MapGet("/products/{id:int}", async (int id, IProductCatalog catalog, HttpContext context) => await catalog.GetProductAsync(id, context.RequestAborted)),
            settings);
    }
}
