using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Leaderboards;

/// <summary>Checks each board's <see cref="KvLeaderboardOptions"/> when the host starts, naming the configuration key at fault.</summary>
internal sealed class KvLeaderboardOptionsValidator : IValidateOptions<KvLeaderboardOptions>
{
    public ValidateOptionsResult Validate(string? name, KvLeaderboardOptions options)
    {
        // Only boards registered by AddKvLeaderboard have a name; the unnamed default instance is never used.
        if (string.IsNullOrEmpty(name))
        {
            return ValidateOptionsResult.Skip;
        }

        string section = $"{KvLeaderboardOptions.SectionName}:{name}";
        var failures = new List<string>();
        if (!Enum.IsDefined(options.TiePolicy))
        {
            failures.Add($"{section}:TiePolicy is {options.TiePolicy}: use StandardCompetition, Dense or FirstToReach.");
        }

        if (!Enum.IsDefined(options.Period))
        {
            failures.Add($"{section}:Period is {options.Period}: use None, Daily, Weekly or Monthly.");
        }

        if (options.TiePolicy == LeaderboardTiePolicy.FirstToReach && options.MaxScore is < 1 or > KvLeaderboardOptions.MaxScoreLimit)
        {
            failures.Add($"{section}:MaxScore is {options.MaxScore}: it must be from 1 to {KvLeaderboardOptions.MaxScoreLimit} (2^52 - 1) so a score and its arrival number fit a double exactly.");
        }

        if (options.KeepPeriods < 1)
        {
            failures.Add($"{section}:KeepPeriods is {options.KeepPeriods}: keep at least 1 period (the current one).");
        }

        if (options.RollupCacheDuration < TimeSpan.FromMilliseconds(1))
        {
            failures.Add($"{section}:RollupCacheDuration is {options.RollupCacheDuration}: it must be at least 1 ms (default 00:00:10).");
        }

        if (options.KeyPrefix is null)
        {
            failures.Add($"{section}:KeyPrefix is null: use a prefix such as 'lb:', or '' for none.");
        }
        else if (options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
        {
            failures.Add($"{section}:KeyPrefix '{options.KeyPrefix}' holds a brace: the board's name is the keys' hash tag, and a brace before it would change the tag.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
