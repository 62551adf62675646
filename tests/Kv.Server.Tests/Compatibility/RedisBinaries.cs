namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Finds Debian's redis-server, redis-cli and redis-benchmark. Locally a missing binary skips the
/// tests that need it; with <c>CI=true</c> it fails them, so CI can never pass without comparing.
/// </summary>
internal static class RedisBinaries
{
    public const string InstallHint = "install Debian's packages with 'apt-get install -y redis-server redis-tools' (.ci/run does this)";

    /// <summary>True when the environment says this is a CI run (GitHub and most CI systems set CI=true; .ci/run does too).</summary>
    public static bool IsCi => Environment.GetEnvironmentVariable("CI") is { } value
        && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The path of a binary the test cannot do without; throws with a clear message when it is missing.</summary>
    public static string Require(string name) => Find(name)
        ?? throw new InvalidOperationException($"'{name}' is not installed, so kv-server cannot be compared with Redis: {InstallHint}.");

    /// <summary>The reason to skip a test locally when a binary is missing; null (run, and fail loudly) under CI.</summary>
    public static string? SkipReason(IEnumerable<string> names)
    {
        if (IsCi)
        {
            return null;
        }

        foreach (var name in names)
        {
            if (Find(name) is null)
            {
                return $"'{name}' is not installed; {InstallHint}. Skipped locally; with CI=true this test fails instead.";
            }
        }

        return null;
    }
}

/// <summary>A fact that needs Redis's binaries (redis-server unless others are named): skipped locally without them, failed under CI.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute(params string[] binaries)
    {
        Skip = RedisBinaries.SkipReason(binaries.Length == 0 ? ["redis-server"] : binaries);
    }
}

/// <summary>A theory that needs Redis's binaries; see <see cref="RedisFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedisTheoryAttribute : TheoryAttribute
{
    public RedisTheoryAttribute(params string[] binaries)
    {
        Skip = RedisBinaries.SkipReason(binaries.Length == 0 ? ["redis-server"] : binaries);
    }
}
