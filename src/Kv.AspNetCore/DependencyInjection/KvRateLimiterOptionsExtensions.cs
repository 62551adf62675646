using Kv.AspNetCore.RateLimiting;

namespace Microsoft.AspNetCore.RateLimiting;

/// <summary>Adds Kv sliding-window policies to ASP.NET Core rate limiting.</summary>
public static class KvRateLimiterOptionsExtensions
{
    /// <summary>
    /// Adds the policy <paramref name="policyName"/> (for <c>RequireRateLimiting(policyName)</c> and
    /// <c>[EnableRateLimiting(policyName)]</c>): a sliding window decided on the Kv server, partitioned by
    /// <see cref="KvSlidingWindowRateLimiterOptions.PartitionKey"/> (default: client IP). Its options bind
    /// from <c>Kv:RateLimiting:Policies:&lt;policyName&gt;</c>, then <paramref name="configure"/> runs.
    /// A refused request gets 429 and <c>Retry-After</c>, then the policy's or the app's <c>OnRejected</c>.
    /// Needs <c>builder.Services.AddKvRateLimiting()</c> and <c>app.UseKvRateLimiter()</c> (for the headers).
    /// </summary>
    /// <example><code>
    /// builder.Services.AddRateLimiter(o =&gt; o.AddKvSlidingWindowLimiter("api", p =&gt; { p.PermitLimit = 100; p.Window = TimeSpan.FromMinutes(1); }));
    /// </code></example>
    public static RateLimiterOptions AddKvSlidingWindowLimiter(this RateLimiterOptions options, string policyName, Action<KvSlidingWindowRateLimiterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        var policy = new KvRateLimiterPolicy(policyName, configure);
        options.AddPolicy(policyName, policy);
        KvRateLimiterPolicy.Register(options, policy);
        return options;
    }
}
