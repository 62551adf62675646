using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// A Kv sliding-window policy as ASP.NET Core's rate-limiting middleware sees it: a partition per
/// <see cref="KvSlidingWindowRateLimiterOptions.PartitionKey"/>, each a <see cref="KvSlidingWindowRateLimiter"/>,
/// and a rejection that sets the status code and an accurate <c>Retry-After</c> before handing over to
/// the policy's own <c>OnRejected</c> or, failing that, <see cref="RateLimiterOptions.OnRejected"/>.
/// Built on first use (or by <c>UseKvRateLimiter</c>, so that bad options fail at startup).
/// </summary>
internal sealed class KvRateLimiterPolicy : IRateLimiterPolicy<string>
{
    // The policies added to each RateLimiterOptions instance, for UseKvRateLimiter to build at startup.
    private static readonly ConditionalWeakTable<RateLimiterOptions, List<KvRateLimiterPolicy>> Added = [];

    private readonly string _name;
    private readonly Action<KvSlidingWindowRateLimiterOptions>? _configure;
    private SlidingWindowPolicy? _policy;
    private Func<OnRejectedContext, CancellationToken, ValueTask>? _defaultOnRejected;

    public KvRateLimiterPolicy(string name, Action<KvSlidingWindowRateLimiterOptions>? configure)
    {
        _name = name;
        _configure = configure;
        OnRejected = RejectAsync;
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; }

    public static void Register(RateLimiterOptions options, KvRateLimiterPolicy policy)
    {
        lock (Added)
        {
            Added.GetOrCreateValue(options).Add(policy);
        }
    }

    /// <summary>Builds (and so validates) every Kv policy added to <paramref name="options"/>.</summary>
    public static void BuildAll(RateLimiterOptions options, IServiceProvider services)
    {
        KvRateLimiterPolicy[] policies;
        lock (Added)
        {
            policies = Added.TryGetValue(options, out var list) ? [.. list] : [];
        }

        foreach (var policy in policies)
        {
            policy.Build(services);
        }
    }

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var policy = _policy ?? Build(httpContext.RequestServices);
        return RateLimitPartition.Get(policy.PartitionKeyOf(httpContext), policy.CreateLimiter);
    }

    private SlidingWindowPolicy Build(IServiceProvider services)
    {
        var factory = services.GetService<KvRateLimiterFactory>()
            ?? throw new InvalidOperationException($"Rate limit policy '{_name}' needs the Kv rate limiting services: call builder.Services.AddKvRateLimiting().");
        var policy = factory.Policy(_name, _configure);
        _defaultOnRejected = services.GetService<IOptions<RateLimiterOptions>>()?.Value.OnRejected;
        _policy = policy;
        return policy;
    }

    private ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var policy = _policy ?? Build(context.HttpContext.RequestServices);
        var response = context.HttpContext.Response;
        response.StatusCode = policy.Options.RejectionStatusCode;
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            // Whole seconds rounded up: a client that waits this long finds the permits free.
            response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        var next = policy.Options.OnRejected ?? _defaultOnRejected;
        return next is null ? ValueTask.CompletedTask : next(context, cancellationToken);
    }
}
