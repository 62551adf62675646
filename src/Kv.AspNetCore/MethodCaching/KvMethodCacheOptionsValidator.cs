using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.MethodCaching;

/// <summary>Checks <see cref="KvMethodCacheOptions"/> when the host starts, naming the configuration key at fault.</summary>
internal sealed class KvMethodCacheOptionsValidator : IValidateOptions<KvMethodCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, KvMethodCacheOptions options)
    {
        var failures = new List<string>();
        if (options.KeyPrefix is null)
        {
            failures.Add("Kv:MethodCache:KeyPrefix is null: use a prefix such as 'kvm:', or '' for none.");
        }

        if (string.IsNullOrEmpty(options.Version) || !IsVersion(options.Version))
        {
            failures.Add($"Kv:MethodCache:Version is '{options.Version}': use letters, digits, '.', '-' or '_' (default '1'); change it to drop every entry at a deploy.");
        }

        if (options.DefaultDuration < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Kv:MethodCache:DefaultDuration is {options.DefaultDuration}: it must be at least 1 second (default 00:05:00).");
        }

        // The shortened form keeps up to MaxKeyLength characters and adds 44: keys stay readable.
        if (options.MaxKeyLength is < 64 or > 4096)
        {
            failures.Add($"Kv:MethodCache:MaxKeyLength is {options.MaxKeyLength}: use 64 to 4096 bytes (default 200).");
        }

        if (options.JsonSerializerOptions is null)
        {
            failures.Add("Kv:MethodCache:JsonSerializerOptions is null: keep the default or set options (with a JsonSerializerContext for trimmed apps).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsVersion(string version)
    {
        foreach (char c in version)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
