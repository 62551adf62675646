using System.Threading.RateLimiting;
using Kv.AspNetCore.Diagnostics;
using Kv.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>Builds policies from their named options (configuration section, then code) and validates them.</summary>
internal sealed class KvRateLimiterFactory(KvClient client, KvMetrics metrics, IOptionsFactory<KvSlidingWindowRateLimiterOptions> optionsFactory, ILoggerFactory loggerFactory) : IKvRateLimiterFactory
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Kv.AspNetCore.RateLimiting");

    public KvSlidingWindowRateLimiter CreateLimiter(string policyName, string partitionKey, Action<KvSlidingWindowRateLimiterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        return new KvSlidingWindowRateLimiter(Policy(policyName, configure), partitionKey);
    }

    public PartitionedRateLimiter<string> CreatePartitionedLimiter(string policyName, Action<KvSlidingWindowRateLimiterOptions>? configure = null)
    {
        var policy = Policy(policyName, configure);
        return PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.Get(key, policy.CreateLimiter), StringComparer.Ordinal);
    }

    /// <summary>The policy's options (section, named configuration, then <paramref name="configure"/>), validated.</summary>
    /// <exception cref="OptionsValidationException">The options are not valid.</exception>
    public SlidingWindowPolicy Policy(string policyName, Action<KvSlidingWindowRateLimiterOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(policyName);
        var options = optionsFactory.Create(policyName);
        configure?.Invoke(options);
        var result = KvSlidingWindowRateLimiterOptionsValidator.Validate(policyName, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(policyName, typeof(KvSlidingWindowRateLimiterOptions), result.Failures);
        }

        return new SlidingWindowPolicy(policyName, options, client, metrics, _logger);
    }
}
