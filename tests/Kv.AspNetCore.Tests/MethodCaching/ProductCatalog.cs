using System.Collections.Concurrent;

namespace Kv.AspNetCore.Tests.MethodCaching;

public sealed record Product(int Id, string Name, decimal Price, string[] Tags);

/// <summary>A service interface as an app would write it: cached reads, invalidating writes, plain members.</summary>
public interface IProductCatalog
{
    string Name { get; }

    [Cache(Seconds = 600, Tags = ["products"])]
    Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default);

    [Cache(Seconds = 600)]
    ValueTask<string> DescribeAsync(string name, int count);

    [Cache]
    int Count(string? category);

    [Cache(Tags = ["products"])]
    Task<Product?> FindAsync(int id);

    [Cache(Nulls = KvCacheNulls.Skip)]
    Task<Product?> FindSkippingNullsAsync(int id);

    [Cache]
    Task<string> LookupAsync(int id);

    [Cache]
    Task<string> LookupAsync(long id);

    [Cache]
    Task<int> FailAsync(int id);

    [Cache]
    Task<int> SlowAsync(int id, CancellationToken cancellationToken);

    [Cache]
    Task<Product> ByExampleAsync(Product example, DateTime asOf, Guid tenant);

    [CacheInvalidate(nameof(GetProductAsync))]
    Task UpdateProductAsync(int id, string name);

    [CacheInvalidate(nameof(Count))]
    void Recount(string? category);

    [CacheInvalidate(Tags = ["products"])]
    Task<int> ClearCatalogAsync();

    Task<int> PlainAsync(int x);
}

/// <summary>Counts the real calls per method (a singleton, so scoped catalogs share it).</summary>
public sealed class CallCounter
{
    private readonly ConcurrentDictionary<string, int> _calls = new();

    /// <summary>Completed by a test to let <see cref="IProductCatalog.SlowAsync"/> return.</summary>
    public TaskCompletionSource<int> Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when SlowAsync starts.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The token the last SlowAsync call was given.</summary>
    public CancellationToken SlowToken { get; set; }

    public int this[string method] => _calls.TryGetValue(method, out int n) ? n : 0;

    public void Add(string method) => _calls.AddOrUpdate(method, 1, (_, n) => n + 1);
}

public sealed class ProductCatalog(CallCounter calls) : IProductCatalog
{
    private readonly ConcurrentDictionary<int, string> _names = new();

    public string Name => "catalog";

    public Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default)
    {
        calls.Add(nameof(GetProductAsync));
        string name = _names.TryGetValue(id, out var n) ? n : $"product {id}";
        return Task.FromResult<Product?>(id < 0 ? null : new Product(id, name, 9.99m, ["a", "b"]));
    }

    public ValueTask<string> DescribeAsync(string name, int count)
    {
        calls.Add(nameof(DescribeAsync));
        return new ValueTask<string>($"{name} x{count}");
    }

    public int Count(string? category)
    {
        calls.Add(nameof(Count));
        return category?.Length ?? -1;
    }

    public Task<Product?> FindAsync(int id)
    {
        calls.Add(nameof(FindAsync));
        return Task.FromResult<Product?>(null);
    }

    public Task<Product?> FindSkippingNullsAsync(int id)
    {
        calls.Add(nameof(FindSkippingNullsAsync));
        return Task.FromResult<Product?>(null);
    }

    public Task<string> LookupAsync(int id)
    {
        calls.Add("LookupInt");
        return Task.FromResult($"int {id}");
    }

    public Task<string> LookupAsync(long id)
    {
        calls.Add("LookupLong");
        return Task.FromResult($"long {id}");
    }

    public async Task<int> FailAsync(int id)
    {
        calls.Add(nameof(FailAsync));
        await Task.Yield();
        throw new InvalidOperationException($"failure {calls[nameof(FailAsync)]}");
    }

    public async Task<int> SlowAsync(int id, CancellationToken cancellationToken)
    {
        calls.SlowToken = cancellationToken;
        calls.Add(nameof(SlowAsync));
        calls.Started.TrySetResult();
        return await calls.Gate.Task.WaitAsync(cancellationToken);
    }

    public Task<Product> ByExampleAsync(Product example, DateTime asOf, Guid tenant)
    {
        calls.Add(nameof(ByExampleAsync));
        return Task.FromResult(example with { Name = $"{example.Name}@{asOf:O}/{tenant}" });
    }

    public Task UpdateProductAsync(int id, string name)
    {
        calls.Add(nameof(UpdateProductAsync));
        _names[id] = name;
        return Task.CompletedTask;
    }

    public void Recount(string? category) => calls.Add(nameof(Recount));

    public Task<int> ClearCatalogAsync()
    {
        calls.Add(nameof(ClearCatalogAsync));
        return Task.FromResult(1);
    }

    public Task<int> PlainAsync(int x)
    {
        calls.Add(nameof(PlainAsync));
        return Task.FromResult(x * 2);
    }
}
