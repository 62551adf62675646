using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>Checks a policy's options when it is built, naming the configuration key at fault.</summary>
internal static class KvSlidingWindowRateLimiterOptionsValidator
{
    public static ValidateOptionsResult Validate(string policyName, KvSlidingWindowRateLimiterOptions options)
    {
        var failures = new List<string>();
        string section = $"{KvSlidingWindowRateLimiterOptions.SectionName}:{policyName}";
        CheckLimit(failures, section, options.PermitLimit, options.Window);
        var names = new HashSet<string>(StringComparer.Ordinal) { policyName };
        CheckName(failures, $"{section} (the policy's name)", policyName);
        for (int i = 0; i < options.AdditionalLimits.Count; i++)
        {
            string key = $"{section}:AdditionalLimits:{i}";
            var limit = options.AdditionalLimits[i];
            if (limit is null)
            {
                failures.Add($"{key} is null: add a KvRateLimit with a PermitLimit and a Window.");
                continue;
            }

            CheckLimit(failures, key, limit.PermitLimit, limit.Window);
            string name = SlidingWindowPolicy.LimitName(policyName, i + 1, limit.Name);
            CheckName(failures, $"{key}:Name", name);
            if (!names.Add(name))
            {
                failures.Add($"{key}:Name is '{name}', a name another limit of the policy has: the RateLimit headers need one name per limit.");
            }
        }

        if (options.KeyPrefix is null)
        {
            failures.Add($"{section}:KeyPrefix is null: use a prefix such as 'ratelimit:', or '' for none.");
        }

        if (!Enum.IsDefined(options.Algorithm))
        {
            failures.Add($"{section}:Algorithm is {options.Algorithm}: use Log or Counter.");
        }

        if (!Enum.IsDefined(options.OnServerUnavailable))
        {
            failures.Add($"{section}:OnServerUnavailable is {options.OnServerUnavailable}: use Permit or Refuse.");
        }

        if (options.RejectionStatusCode is < 400 or > 599)
        {
            failures.Add($"{section}:RejectionStatusCode is {options.RejectionStatusCode}: use an error status such as 429.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckLimit(List<string> failures, string key, int permitLimit, TimeSpan window)
    {
        if (permitLimit <= 0)
        {
            failures.Add($"{key}:PermitLimit is {permitLimit}: it must be positive.");
        }

        // The server's clock is read in microseconds, and keys expire with PEXPIREAT, in milliseconds.
        if (window < TimeSpan.FromMilliseconds(1))
        {
            failures.Add($"{key}:Window is {window}: it must be at least 1 ms (such as 00:00:01 for one second).");
        }
    }

    // Names go into the headers as structured-field strings: printable ASCII only (RFC 9651 §3.3.3).
    private static void CheckName(List<string> failures, string key, string name)
    {
        foreach (char c in name)
        {
            if (c is < ' ' or > '~')
            {
                failures.Add($"{key} is '{name}': names appear in the RateLimit headers, so they must be printable ASCII.");
                return;
            }
        }
    }
}
