using System.Globalization;
using Microsoft.Extensions.Caching.Distributed;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>What one row measures, through <see cref="IDistributedCache"/>.</summary>
internal enum CacheOperation
{
    /// <summary>GetAsync of an entry with a sliding expiration: the read also pushes its TTL out.</summary>
    GetSliding,

    /// <summary>GetAsync of an entry with only an absolute expiration: a plain read.</summary>
    GetAbsolute,

    /// <summary>SetAsync of an entry with a sliding expiration: the value and its TTL.</summary>
    Set,

    /// <summary>RefreshAsync of an entry with a sliding expiration.</summary>
    Refresh,
}

internal static class CacheOperations
{
    public static readonly CacheOperation[] All = [CacheOperation.GetSliding, CacheOperation.GetAbsolute, CacheOperation.Set, CacheOperation.Refresh];

    public static string Title(CacheOperation operation) => operation switch
    {
        CacheOperation.GetSliding => "Get (sliding)",
        CacheOperation.GetAbsolute => "Get (absolute)",
        CacheOperation.Set => "Set",
        CacheOperation.Refresh => "Refresh (sliding)",
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
    };

    /// <exception cref="ArgumentException">The name is not one of the four.</exception>
    public static CacheOperation Parse(string name) => name switch
    {
        "get-sliding" => CacheOperation.GetSliding,
        "get-absolute" => CacheOperation.GetAbsolute,
        "set" => CacheOperation.Set,
        "refresh" => CacheOperation.Refresh,
        _ => throw new ArgumentException($"--operations: unknown operation '{name}'; expected some of get-sliding,get-absolute,set,refresh."),
    };
}

/// <summary>
/// The entries every contender works on: one key range of sliding entries (read by Get (sliding) and
/// Refresh), one of absolute entries (Get (absolute)) and one that Set writes, so a Set row never
/// changes what a Get row reads. Keys are made once; the cache adds its instance name.
/// </summary>
internal sealed class CacheWorkload
{
    private readonly string[] _sliding;
    private readonly string[] _absolute;
    private readonly string[] _written;

    public CacheWorkload(int keys, int valueSize)
    {
        _sliding = Keys("session:", keys);
        _absolute = Keys("product:", keys);
        _written = Keys("written:", keys);
        Value = new byte[valueSize];
        new Random(42).NextBytes(Value);
    }

    public byte[] Value { get; }

    /// <summary>20 minutes sliding (ASP.NET Core session's default idle timeout).</summary>
    public DistributedCacheEntryOptions SlidingOptions { get; } = new() { SlidingExpiration = TimeSpan.FromMinutes(20) };

    /// <summary>One hour from when it is written.</summary>
    public DistributedCacheEntryOptions AbsoluteOptions { get; } = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) };

    public string SlidingKey(uint n) => _sliding[n % (uint)_sliding.Length];

    public string AbsoluteKey(uint n) => _absolute[n % (uint)_absolute.Length];

    public string WrittenKey(uint n) => _written[n % (uint)_written.Length];

    /// <summary>Writes the entries the Get and Refresh rows read, through <paramref name="cache"/> itself.</summary>
    public async Task FillAsync(IDistributedCache cache)
    {
        for (int i = 0; i < _sliding.Length; i++)
        {
            await cache.SetAsync(_sliding[i], Value, SlidingOptions);
            await cache.SetAsync(_absolute[i], Value, AbsoluteOptions);
        }

        if (await cache.GetAsync(_sliding[0]) is null || await cache.GetAsync(_absolute[^1]) is null)
        {
            throw new InvalidOperationException("An entry just written could not be read back: the cache is not storing entries.");
        }
    }

    private static string[] Keys(string prefix, int count)
    {
        var keys = new string[count];
        for (int i = 0; i < count; i++)
        {
            keys[i] = prefix + i.ToString("D6", CultureInfo.InvariantCulture);
        }

        return keys;
    }
}
