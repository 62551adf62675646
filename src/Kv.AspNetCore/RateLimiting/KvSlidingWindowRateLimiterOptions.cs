using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// One rate-limiting policy decided on the Kv server: <see cref="PermitLimit"/> permits in any
/// <see cref="Window"/> (a sliding window, not fixed slots), plus any <see cref="AdditionalLimits"/>
/// checked in the same call. Bound from <c>Kv:RateLimiting:Policies:&lt;policy name&gt;</c>
/// (<c>Kv:RateLimiting:Policies:api:PermitLimit</c>, <c>…:Window</c>, <c>…:AdditionalLimits:0:PermitLimit</c>…),
/// then the code's own configuration; validated when the policy is first built, naming the key at fault.
/// </summary>
/// <remarks>
/// Each decision is one script call (EVALSHA) that reads the server's clock (<c>TIME</c>), so app
/// instances with skewed clocks still share one exact window. A request refused by one limit consumes
/// nothing from the others. Each limit of a partition is one key,
/// <see cref="KeyPrefix"/> + policy name + <c>:</c> + partition key + <c>:</c> + the limit's index
/// (0 for <see cref="PermitLimit"/>, 1 for the first additional limit…), which expires when the
/// partition is idle. Changing a live policy's <see cref="Algorithm"/> or a limit's window needs a new
/// policy name or key prefix: the keys would hold the other algorithm's data.
/// </remarks>
public sealed class KvSlidingWindowRateLimiterOptions
{
    /// <summary>The configuration section under which each policy's options bind (<c>Kv:RateLimiting:Policies:&lt;name&gt;</c>).</summary>
    public const string SectionName = "Kv:RateLimiting:Policies";

    /// <summary>Permits allowed in any <see cref="Window"/>. Must be positive.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The sliding window <see cref="PermitLimit"/> counts over; at least 1 ms (millisecond precision).</summary>
    public TimeSpan Window { get; set; }

    /// <summary>
    /// More limits checked in the same call, all or nothing (10 per second and 1,000 per day). Each
    /// appears in the <c>RateLimit</c> headers under its <see cref="KvRateLimit.Name"/>.
    /// </summary>
    public IList<KvRateLimit> AdditionalLimits { get; } = new List<KvRateLimit>();

    /// <summary>How the window is counted. Default: <see cref="KvSlidingWindowAlgorithm.Log"/> (exact).</summary>
    public KvSlidingWindowAlgorithm Algorithm { get; set; } = KvSlidingWindowAlgorithm.Log;

    /// <summary>
    /// Who shares a budget, for the ASP.NET Core policy (<c>AddKvSlidingWindowLimiter</c>): the user, an
    /// API key, a tenant. Default: the client's IP address (<see cref="ConnectionInfo.RemoteIpAddress"/>;
    /// behind a proxy, add the forwarded-headers middleware first). The key becomes part of a server key.
    /// </summary>
    public Func<HttpContext, string>? PartitionKey { get; set; }

    /// <summary>Prepended to every key (<c>ratelimit:</c> gives <c>ratelimit:api:10.0.0.1:0</c>). Default: <c>ratelimit:</c>.</summary>
    public string KeyPrefix { get; set; } = "ratelimit:";

    /// <summary>
    /// What a decision is when the server cannot be reached: <see cref="KvRateLimitFailureMode.Permit"/>
    /// (default, fail open) or <see cref="KvRateLimitFailureMode.Refuse"/> (fail closed). Either way a
    /// warning is logged (at most one per policy every 10 s) and <c>kv.ratelimit.failures</c> counts it.
    /// </summary>
    public KvRateLimitFailureMode OnServerUnavailable { get; set; } = KvRateLimitFailureMode.Permit;

    /// <summary>The status code of a refused request (ASP.NET Core policy). Default: 429 Too Many Requests.</summary>
    public int RejectionStatusCode { get; set; } = StatusCodes.Status429TooManyRequests;

    /// <summary>
    /// Runs after a refused request got its status code and <c>Retry-After</c> (ASP.NET Core policy), to
    /// write a body or change them. Null (default): <see cref="RateLimiterOptions.OnRejected"/> runs, if set.
    /// </summary>
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; set; }
}

/// <summary>A limit checked with a policy's own (<see cref="KvSlidingWindowRateLimiterOptions.AdditionalLimits"/>).</summary>
public sealed class KvRateLimit
{
    /// <summary>Permits allowed in any <see cref="Window"/>. Must be positive.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The sliding window; at least 1 ms.</summary>
    public TimeSpan Window { get; set; }

    /// <summary>
    /// The limit's name in the <c>RateLimit-Policy</c> and <c>RateLimit</c> headers (printable ASCII).
    /// Default: the policy's name, a dash and the limit's index (<c>api-1</c>).
    /// </summary>
    public string? Name { get; set; }
}

/// <summary>How a Kv sliding window counts.</summary>
public enum KvSlidingWindowAlgorithm
{
    /// <summary>
    /// A log of the permits granted (a sorted set scored by the server's clock in microseconds): exact,
    /// never more than the limit in any window, and an exact <c>Retry-After</c>. Memory and work grow
    /// with the limit (one member per permit in the window; never more than the limit): best for limits
    /// up to some thousands per window.
    /// </summary>
    Log,

    /// <summary>
    /// Two fixed-window counters, the previous one weighted by how much of it the sliding window still
    /// covers (Cloudflare's approximation): O(1) time and memory whatever the limit. Approximate: it
    /// assumes the previous window's permits were spread evenly, so a burst at the end of one window
    /// can let up to about twice the limit through within one window's length in the worst case;
    /// with steady traffic it stays within a few percent of the limit.
    /// </summary>
    Counter,
}

/// <summary>What a Kv rate limiter decides when the server cannot be reached.</summary>
public enum KvRateLimitFailureMode
{
    /// <summary>Grant the permits (fail open): the service stays up without limits while the server is down.</summary>
    Permit,

    /// <summary>Refuse the permits (fail closed): nothing gets through without the server.</summary>
    Refuse,
}
