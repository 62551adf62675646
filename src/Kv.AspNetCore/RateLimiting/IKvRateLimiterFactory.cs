using System.Threading.RateLimiting;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// Kv sliding-window limiters for code outside the HTTP pipeline (a worker, a queue consumer), from
/// DI after <c>AddKvRateLimiting</c>. A policy is configured by name: the section
/// <c>Kv:RateLimiting:Policies:&lt;name&gt;</c>, then <c>services.Configure&lt;KvSlidingWindowRateLimiterOptions&gt;(name, …)</c>,
/// then <c>configure</c>. Limiters of the same policy name and partition key share their counts with
/// every app instance and with the HTTP policy of that name.
/// </summary>
/// <example><code>
/// var limiter = factory.CreatePartitionedLimiter("emails");
/// using var lease = await limiter.AcquireAsync(tenantId, permitCount: 5, token);
/// if (!lease.IsAcquired &amp;&amp; lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)) { /* try again after wait */ }
/// </code></example>
public interface IKvRateLimiterFactory
{
    /// <summary>A limiter for one partition of the policy <paramref name="policyName"/>.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The policy's options are not valid; the messages name the keys at fault.</exception>
    KvSlidingWindowRateLimiter CreateLimiter(string policyName, string partitionKey, Action<KvSlidingWindowRateLimiterOptions>? configure = null);

    /// <summary>
    /// A limiter of the policy <paramref name="policyName"/> partitioned by a string key (user, API key,
    /// tenant); the limiters of partitions idle for a while are dropped. Dispose it when done.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The policy's options are not valid; the messages name the keys at fault.</exception>
    PartitionedRateLimiter<string> CreatePartitionedLimiter(string policyName, Action<KvSlidingWindowRateLimiterOptions>? configure = null);
}
