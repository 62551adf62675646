namespace Kv.AspNetCore;

/// <summary>Evicts [Cache] entries from code (<c>[CacheInvalidate]</c> does it declaratively).</summary>
public interface IKvMethodCache
{
    /// <summary>
    /// Evicts the entry of <typeparamref name="TService"/>'s [Cache] method <paramref name="methodName"/>
    /// for <paramref name="arguments"/> (its parameters in order, without cancellation tokens).
    /// </summary>
    /// <exception cref="InvalidOperationException">No [Cache] decorator was generated for <typeparamref name="TService"/>.</exception>
    /// <exception cref="ArgumentException">No [Cache] method of that name takes these arguments, or several overloads do.</exception>
    ValueTask InvalidateAsync<TService>(string methodName, object?[] arguments, CancellationToken token = default)
        where TService : class;

    /// <summary>Evicts every entry of the [Cache] methods with <paramref name="tag"/>: O(entries with the tag).</summary>
    ValueTask InvalidateTagAsync(string tag, CancellationToken token = default);
}
