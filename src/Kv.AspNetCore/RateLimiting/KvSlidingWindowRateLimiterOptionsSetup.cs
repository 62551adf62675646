using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>Binds each named policy's options from <c>Kv:RateLimiting:Policies:&lt;name&gt;</c>.</summary>
internal sealed class KvSlidingWindowRateLimiterOptionsSetup(IConfiguration configuration) : IConfigureNamedOptions<KvSlidingWindowRateLimiterOptions>
{
    public void Configure(string? name, KvSlidingWindowRateLimiterOptions options)
    {
        if (!string.IsNullOrEmpty(name))
        {
            configuration.GetSection($"{KvSlidingWindowRateLimiterOptions.SectionName}:{name}").Bind(options);
        }
    }

    public void Configure(KvSlidingWindowRateLimiterOptions options) => Configure(Options.DefaultName, options);
}
