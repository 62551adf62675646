using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Embedded;

/// <summary>Starts and stops the embedded server with the host, when no endpoint is configured.</summary>
internal sealed class EmbeddedServerHostedService(IOptions<KvOptions> options, EmbeddedKvServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => options.Value.IsEmbedded ? server.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
