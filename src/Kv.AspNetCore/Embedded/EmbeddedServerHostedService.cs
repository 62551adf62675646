using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Embedded;

/// <summary>
/// Starts and stops the embedded server with the host, when no endpoint is configured: first of all
/// (<see cref="StartingAsync"/>, before any hosted service, Kestrel included, starts: the data is loaded
/// before the first request) and last of all (<see cref="StoppedAsync"/>, after every hosted service has
/// stopped: requests still draining and other services' shutdown work keep their cache and sessions).
/// </summary>
internal sealed class EmbeddedServerHostedService(IOptions<KvOptions> options, EmbeddedKvServer server) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => options.Value.IsEmbedded ? server.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
