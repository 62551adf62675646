using Kv.AspNetCore.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Kv server to ASP.NET Core health checks.</summary>
public static class KvHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check that PINGs the Kv server the app uses (the embedded one or the configured endpoint):
    /// Healthy when it answers, Degraded past 250 ms, <paramref name="failureStatus"/> (default Unhealthy)
    /// when it cannot be reached. Needs <c>AddKvCache</c>, <c>AddKvSession</c> or <c>AddKv</c>.
    /// </summary>
    /// <example><code>builder.Services.AddHealthChecks().AddKvHealthCheck(); app.MapHealthChecks("/health");</code></example>
    public static IHealthChecksBuilder AddKvHealthCheck(this IHealthChecksBuilder builder, string name = "kv", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddKv();
        return builder.Add(new HealthCheckRegistration(name, sp => ActivatorUtilities.CreateInstance<KvHealthCheck>(sp), failureStatus, tags, timeout ?? TimeSpan.FromSeconds(5)));
    }

    /// <summary>Registers health checks with the Kv check (<see cref="AddKvHealthCheck(IHealthChecksBuilder, string, HealthStatus?, IEnumerable{string}?, TimeSpan?)"/>).</summary>
    public static IHealthChecksBuilder AddKvHealthCheck(this IServiceCollection services, string name = "kv")
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddHealthChecks().AddKvHealthCheck(name);
    }
}
