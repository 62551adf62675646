using Kv.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Diagnostics;

/// <summary>
/// Healthy when the server answers PING within the check's timeout; degraded when the round trip is
/// slower than <see cref="DegradedAfter"/>; unhealthy when it cannot be reached or refuses.
/// </summary>
internal sealed class KvHealthCheck(KvClient client, IOptions<KvOptions> options) : IHealthCheck
{
    // Named once: the endpoint without its password (the options were validated at start).
    private readonly string _where = options.Value.IsEmbedded ? "embedded" : EndpointWithoutPassword(options.Value.Endpoint!);

    /// <summary>A round trip slower than this reports Degraded.</summary>
    public static readonly TimeSpan DegradedAfter = TimeSpan.FromMilliseconds(250);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        string where = _where;
        try
        {
            var roundTrip = await client.PingAsync(cancellationToken).ConfigureAwait(false);
            var data = new Dictionary<string, object>
            {
                ["server"] = where,
                ["roundTripMs"] = Math.Round(roundTrip.TotalMilliseconds, 3),
                ["connected"] = client.IsConnected,
            };
            return roundTrip > DegradedAfter
                ? HealthCheckResult.Degraded($"Kv ({where}) answered PING in {roundTrip.TotalMilliseconds:0} ms.", data: data)
                : HealthCheckResult.Healthy($"Kv ({where}) answered PING in {roundTrip.TotalMilliseconds:0.###} ms.", data);
        }
        catch (Exception ex) when (ex is KvConnectionException or KvServerException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Kv ({where}) did not answer PING: {ex.Message}", ex);
        }
    }

    private static string EndpointWithoutPassword(string endpoint)
    {
        var client = KvClientOptions.Parse(endpoint);
        return $"{client.Host}:{client.Port}";
    }
}
