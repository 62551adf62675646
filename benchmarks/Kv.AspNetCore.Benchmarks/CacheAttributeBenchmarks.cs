using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.MethodCaching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>A result as a [Cache] method returns it.</summary>
public sealed record CatalogItem(int Id, string Name, decimal Price);

/// <summary>The service whose [Cache] decorator is measured.</summary>
public interface IBenchmarkCatalog
{
    [Cache(Seconds = 3600)]
    Task<CatalogItem> GetItemAsync(int id);

    [Cache(Seconds = 3600)]
    ValueTask<CatalogItem> GetItemValueAsync(int id);
}

/// <summary>Never called on a hit: the benchmark reads entries written in setup.</summary>
public sealed class BenchmarkCatalog : IBenchmarkCatalog
{
    public Task<CatalogItem> GetItemAsync(int id) => Task.FromResult(new CatalogItem(id, $"item {id}", 9.99m));

    public ValueTask<CatalogItem> GetItemValueAsync(int id) => new(new CatalogItem(id, $"item {id}", 9.99m));
}

/// <summary>
/// A [Cache] hit against a direct read of the same entry's bytes, on the embedded server through the
/// in-memory pipe (the app's default with no endpoint): <c>benchmarks/cache-attribute-benchmark.sh</c>.
/// The difference is the decorator's overhead: building the key, the pooled async method, deserializing.
/// </summary>
[MemoryDiagnoser]
public class CacheAttributeBenchmarks
{
    private IHost _app = null!;
    private IBenchmarkCatalog _catalog = null!;
    private KvDistributedCache _cache = null!;
    private string _key = null!;
    private KvMethodCache _methods = null!;
    private byte[] _entry = null!;

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "allocations")
        {
            return Allocations();
        }

        var summaries = BenchmarkSwitcher.FromTypes([typeof(CacheAttributeBenchmarks)]).Run(args.Length == 0 ? ["--filter", "*"] : args);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary><c>cache-attribute allocations</c>: which types a hit allocates beyond the direct read's (sampled).</summary>
    private static int Allocations()
    {
        var benchmark = new CacheAttributeBenchmarks();
        benchmark.Setup();
        using var sampler = new AllocationSampler();
        foreach (var (name, call) in new (string, Func<ValueTask>)[]
        {
            ("direct read", async () => await benchmark.DirectRead()),
            ("[Cache] ValueTask hit", async () => await benchmark.CachedValueTask()),
        })
        {
            const int calls = 200_000;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            sampler.Start();
            for (int i = 0; i < calls; i++)
            {
                call().AsTask().GetAwaiter().GetResult();
            }

            var types = sampler.Stop();
            Console.WriteLine($"{name}: {(GC.GetTotalAllocatedBytes(precise: true) - before) / calls} B a call (all threads, with the loop's own)");
            foreach (var (type, share) in types.Take(8))
            {
                Console.WriteLine($"  {share,6:P1} {type}");
            }
        }

        benchmark.Cleanup();
        return 0;
    }

    [GlobalSetup]
    public void Setup()
    {
        // A host without a web server: the embedded Kv server and the cache are all a hit touches.
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddKvCaching<IBenchmarkCatalog, BenchmarkCatalog>(ServiceLifetime.Singleton);
        _app = builder.Build();
        _app.StartAsync().GetAwaiter().GetResult();
        _catalog = _app.Services.GetRequiredService<IBenchmarkCatalog>();
        _cache = _app.Services.GetRequiredService<KvDistributedCache>();
        _key = "kvm:1:Kv.AspNetCore.Benchmarks.IBenchmarkCatalog.GetItemAsync(int):42";

        // Written once (the miss), then every call is a hit.
        _catalog.GetItemAsync(42).GetAwaiter().GetResult();
        _catalog.GetItemValueAsync(42).AsTask().GetAwaiter().GetResult();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_cache.GetAsync(_key, refresh: false).AsTask().GetAwaiter().GetResult() is null)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"The entry {_key} was not written: has the key format changed?");
            }

            Thread.Sleep(1);
        }

        _methods = _app.Services.GetRequiredService<KvMethodCache>();
        _entry = _cache.GetAsync(_key, refresh: false).AsTask().GetAwaiter().GetResult()!;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _app.StopAsync().GetAwaiter().GetResult();
        _app.Dispose();
    }

    /// <summary>The read the decorator makes, alone: HMGET on the embedded server, the entry's bytes.</summary>
    [Benchmark(Baseline = true)]
    public ValueTask<byte[]?> DirectRead() => _cache.GetAsync(_key, refresh: false);

    /// <summary>The read and the deserialization a caller would write by hand (its own async method allocates too).</summary>
    [Benchmark]
    public async Task<CatalogItem> DirectReadAndDeserialize()
    {
        byte[] entry = (await _cache.GetAsync(_key, refresh: false))!;
        return JsonSerializer.Deserialize<CatalogItem>(entry.AsSpan(1))!;
    }

    /// <summary>The CPU a hit adds to the read, without the read's noise: the key as the generated code builds it.</summary>
    [Benchmark]
    public string KeyOnly()
    {
        var key = new KvCacheKeyBuilder(stackalloc char[256], _methods, "Kv.AspNetCore.Benchmarks.IBenchmarkCatalog.GetItemAsync(int)");
        key.Append(42L);
        return key.ToKey();
    }

    /// <summary>And the entry's deserialization (the result's own allocations).</summary>
    [Benchmark]
    public CatalogItem DeserializeOnly() => JsonSerializer.Deserialize<CatalogItem>(_entry.AsSpan(1))!;

    /// <summary>A hit of a [Cache] method returning Task&lt;T&gt;.</summary>
    [Benchmark]
    public Task<CatalogItem> CachedTask() => _catalog.GetItemAsync(42);

    /// <summary>A hit of a [Cache] method returning ValueTask&lt;T&gt;.</summary>
    [Benchmark]
    public ValueTask<CatalogItem> CachedValueTask() => _catalog.GetItemValueAsync(42);
}
