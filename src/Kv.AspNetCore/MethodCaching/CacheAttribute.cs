namespace Kv.AspNetCore;

/// <summary>
/// Caches the method's result in the Kv cache, keyed by the method and its arguments, for
/// <see cref="Seconds"/>. Put it on a method of a service interface that returns <c>T</c>,
/// <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c>, and register the service with
/// <c>services.AddKvCaching&lt;IService, Service&gt;()</c> (or decorate an existing registration with
/// <c>DecorateWithKvCaching&lt;IService&gt;()</c>): a source generator writes the decorator at compile time.
/// </summary>
/// <remarks>
/// Concurrent calls with the same arguments in one process share one call of the real method. A
/// <see cref="CancellationToken"/> parameter is not part of the key. Exceptions are not cached.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class CacheAttribute : Attribute
{
    /// <summary>How long an entry lives, in seconds (absolute expiry from when it is written). 0: <c>Kv:MethodCache:DefaultDuration</c>.</summary>
    public int Seconds { get; set; }

    /// <summary>Tags for the entries of this method: <c>[CacheInvalidate(Tags = …)]</c> or <see cref="IKvMethodCache.InvalidateTagAsync"/> evicts every entry with the tag.</summary>
    public string[]? Tags { get; set; }

    /// <summary>Whether a null result is cached. Default: <see cref="KvCacheNulls.Default"/> (<c>Kv:MethodCache:CacheNulls</c>).</summary>
    public KvCacheNulls Nulls { get; set; }
}

/// <summary>
/// After the method succeeds, evicts the entries of the named [Cache] methods of the same interface for
/// the arguments of this call (matched by parameter name and type), and every entry with one of <see cref="Tags"/>.
/// </summary>
/// <example><c>[CacheInvalidate(nameof(GetProductAsync))] Task UpdateProductAsync(int id, Product product);</c></example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class CacheInvalidateAttribute : Attribute
{
    /// <summary>Evicts by tags only (set <see cref="Tags"/>).</summary>
    public CacheInvalidateAttribute()
    {
        Methods = [];
    }

    /// <summary>Evicts the entries of <paramref name="methods"/> (use <c>nameof</c>) for this call's argument values; every overload whose key parameters this method has.</summary>
    public CacheInvalidateAttribute(params string[] methods)
    {
        Methods = methods ?? [];
    }

    /// <summary>The [Cache] methods whose entries are evicted.</summary>
    public string[] Methods { get; }

    /// <summary>Tags whose entries are all evicted.</summary>
    public string[]? Tags { get; set; }
}

/// <summary>Whether a [Cache] method's null result is stored.</summary>
public enum KvCacheNulls
{
    /// <summary>As <c>Kv:MethodCache:CacheNulls</c> says (default: cache them).</summary>
    Default,

    /// <summary>Store null results (as a marker distinct from any value), so a missing row is not looked up again until the entry expires.</summary>
    Cache,

    /// <summary>Do not store null results: the next call runs the method again.</summary>
    Skip,
}
