using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Session;

/// <summary>Checks <see cref="KvSessionOptions"/> when the host starts, naming the configuration key at fault.</summary>
internal sealed class KvSessionOptionsValidator : IValidateOptions<KvSessionOptions>
{
    public ValidateOptionsResult Validate(string? name, KvSessionOptions options)
    {
        var failures = new List<string>();

        // PEXPIRE counts milliseconds; anything shorter would expire the session as it is written.
        if (options.IdleTimeout < TimeSpan.FromMilliseconds(1))
        {
            failures.Add($"Kv:Session:IdleTimeout is {options.IdleTimeout}: it must be at least 1 ms (default 00:20:00).");
        }

        if (options.KeyPrefix is null)
        {
            failures.Add("Kv:Session:KeyPrefix is null: use a prefix such as 'session:', or '' for none.");
        }

        if (options.Cookie is null)
        {
            failures.Add("Kv:Session:Cookie is null: keep the default cookie builder and change its properties.");
        }
        else if (string.IsNullOrWhiteSpace(options.Cookie.Name))
        {
            failures.Add("Kv:Session:Cookie:Name is empty: name the session cookie (default '.Kv.Session').");
        }

        if (!Enum.IsDefined(options.OnServerUnavailable))
        {
            failures.Add($"Kv:Session:OnServerUnavailable is {options.OnServerUnavailable}: use Throw or Ignore.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
