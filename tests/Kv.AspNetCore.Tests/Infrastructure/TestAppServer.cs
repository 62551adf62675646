using Kv.AspNetCore.Embedded;
using Kv.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>The server behind a <see cref="TestApp"/>: its client for raw commands, its loopback port.</summary>
public static class TestAppServer
{
    /// <summary>The app's own client (in memory for the embedded server), for commands such as PTTL that the cache does not send.</summary>
    public static KvClient Kv(this TestApp app) => app.Services.GetRequiredService<KvClient>();

    /// <summary>The server's port on 127.0.0.1: the embedded server's listener, or the configured endpoint's port.</summary>
    public static int ServerPort(this TestApp app)
    {
        var options = app.Services.GetRequiredService<IOptions<KvOptions>>().Value;
        return options.IsEmbedded
            ? app.Services.GetRequiredService<EmbeddedKvServer>().Server?.Port ?? throw new InvalidOperationException("The embedded server has not started.")
            : KvClientOptions.Parse(options.Endpoint!).Port;
    }

    /// <summary>The key's remaining time to live in milliseconds (-1: none, -2: no key).</summary>
    public static async Task<long> PTtlAsync(this KvClient kv, string key) => (await kv.ExecuteAsync("PTTL", key)).AsInt64();

    /// <summary>The fields absexp, sldexp and data of an entry's hash, as text (null when missing).</summary>
    public static async Task<(string? Absolute, string? Sliding, string? Data)> EntryAsync(this KvClient kv, string key)
    {
        var fields = await kv.ExecuteAsync("HMGET", key, "absexp", "sldexp", "data");
        return (fields[0].AsString(), fields[1].AsString(), fields[2].AsString());
    }

    /// <summary>A counter of INFO commandstats, such as <c>calls</c> of <c>multi</c> (0 when the command never ran).</summary>
    public static async Task<long> CommandCallsAsync(this KvClient kv, string command)
    {
        string info = (await kv.ExecuteAsync("INFO", "commandstats")).AsString()!;
        string prefix = $"cmdstat_{command}:calls=";
        foreach (string line in info.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                int end = line.IndexOf(',', prefix.Length);
                return long.Parse(line.AsSpan(prefix.Length, (end < 0 ? line.Length : end) - prefix.Length), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
