namespace Kv.Server.Tests.Compatibility;

/// <summary>A difference from Redis that kv-server makes on purpose, with the reason (also listed in README.md).</summary>
/// <param name="Command">The lower-case command name it applies to.</param>
/// <param name="Applies">Whether it covers this particular command (arguments as sent, name first).</param>
/// <param name="Reason">Why kv-server answers differently.</param>
public sealed record AllowedDifference(string Command, Func<IReadOnlyList<object>, bool> Applies, string Reason);

/// <summary>
/// Every deliberate difference between kv-server and redis-server 7.0 that the comparison tests
/// tolerate. Zero differences is the bar: keep this empty unless Redis's behaviour cannot or should
/// not be copied, and list each entry in README.md with its reason.
/// </summary>
public static class CompatAllowlist
{
    public static IReadOnlyList<AllowedDifference> Entries { get; } = [];

    public static AllowedDifference? Find(IReadOnlyList<object> args)
    {
        string name = args.Count > 0 ? args[0].ToString()!.ToLowerInvariant() : "";
        foreach (var entry in Entries)
        {
            if (entry.Command == name && entry.Applies(args))
            {
                return entry;
            }
        }

        return null;
    }
}
