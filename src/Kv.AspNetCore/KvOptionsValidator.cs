using Kv.Client;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore;

/// <summary>Checks <see cref="KvOptions"/> when the host starts, naming the configuration key at fault.</summary>
internal sealed class KvOptionsValidator : IValidateOptions<KvOptions>
{
    public ValidateOptionsResult Validate(string? name, KvOptions options)
    {
        var failures = new List<string>();
        if (!options.IsEmbedded)
        {
            try
            {
                KvClientOptions.Parse(options.Endpoint!);
            }
            catch (FormatException ex)
            {
                failures.Add($"Kv:Endpoint: {ex.Message}");
            }
        }
        else
        {
            var embedded = options.Embedded;
            if (embedded is null)
            {
                failures.Add("Kv:Embedded must not be null.");
            }
            else
            {
                if (string.IsNullOrWhiteSpace(embedded.DataDirectory))
                {
                    failures.Add("Kv:Embedded:DataDirectory is empty: name the folder for the embedded server's data (relative to the content root), such as 'kv-data'.");
                }

                if (embedded.Port is < 0 or > 65535)
                {
                    failures.Add($"Kv:Embedded:Port is {embedded.Port}: use 0 (a free port) or 1-65535.");
                }

                if (string.IsNullOrWhiteSpace(embedded.MaxMemory))
                {
                    failures.Add("Kv:Embedded:MaxMemory is empty: use redis.conf units such as '256mb', or '0' for no ceiling.");
                }
            }
        }

        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add($"Kv:ConnectTimeout is {options.ConnectTimeout}: it must be positive.");
        }

        if (options.CommandTimeout <= TimeSpan.Zero && options.CommandTimeout != Timeout.InfiniteTimeSpan)
        {
            failures.Add($"Kv:CommandTimeout is {options.CommandTimeout}: it must be positive.");
        }

        if (options.Cache is { UseGenerations: true } && string.IsNullOrEmpty(options.Cache.InstanceName))
        {
            failures.Add("Kv:Cache:UseGenerations is true but Kv:Cache:InstanceName is empty: generations need an instance name, such as 'shop:' "
                + "(the generation is kept at InstanceName + '__generation', and a clear sweeps the keys that start with it).");
        }

        if (options.Cache is { NearCache: { Enabled: true, MaxBytes: <= 0 } })
        {
            failures.Add($"Kv:Cache:NearCache:MaxBytes is {options.Cache.NearCache.MaxBytes}: it must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
