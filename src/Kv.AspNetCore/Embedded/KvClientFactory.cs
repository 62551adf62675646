using Kv.Client;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Embedded;

/// <summary>Makes the app's <see cref="KvClient"/>s: for the configured endpoint, or connected to the embedded server.</summary>
internal sealed class KvClientFactory(IOptions<KvOptions> options, EmbeddedKvServer embedded)
{
    private readonly KvOptions _options = options.Value;

    /// <summary>A new client; <paramref name="configure"/> adds what one block needs (client tracking for the near cache).</summary>
    public KvClient Create(Action<KvClientOptions>? configure = null)
    {
        KvClientOptions client;
        if (_options.IsEmbedded)
        {
            // The host and port only name the server in messages; connections come from the embedded server.
            client = new KvClientOptions
            {
                Host = "127.0.0.1",
                Port = _options.Embedded.Port is > 0 and var port ? port : 6379,
                ConnectCallback = embedded.ConnectAsync,

                // The first connection waits for the host to start the server (data loaded).
                ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
                ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            };
        }
        else
        {
            client = KvClientOptions.Parse(_options.Endpoint!);
        }

        client.ClientName ??= "Kv.AspNetCore";
        client.ConnectTimeout = _options.ConnectTimeout;
        client.CommandTimeout = _options.CommandTimeout;
        configure?.Invoke(client);
        return new KvClient(client);
    }
}
