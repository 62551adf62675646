using System.Globalization;
using System.Text;

namespace Kv.Server.Configuration;

/// <summary>One class's <c>client-output-buffer-limit</c>: hard bytes, soft bytes held for soft seconds (0 = no limit).</summary>
internal readonly record struct OutputBufferLimit(long HardBytes, long SoftBytes, long SoftSeconds);

/// <summary>
/// <c>client-output-buffer-limit</c> as Redis keeps it: one limit per client class (normal, replica,
/// pubsub). A value names any subset of classes as <c>class hard soft seconds</c> groups; the others keep
/// their limits, and CONFIG GET prints all three (Redis's setConfigClientOutputBufferLimitOption).
/// </summary>
internal sealed class OutputBufferLimits
{
    private static readonly string[] ClassNames = ["normal", "slave", "pubsub"];

    // Redis's defaults: normal clients unlimited, replicas 256mb/64mb/60s, pub/sub 32mb/8mb/60s.
    private readonly OutputBufferLimit[] _limits =
    [
        new(0, 0, 0),
        new(268435456, 67108864, 60),
        new(33554432, 8388608, 60),
    ];

    public OutputBufferLimit Normal => _limits[0];

    public OutputBufferLimit Replica => _limits[1];

    public OutputBufferLimit PubSub => _limits[2];

    /// <summary>Applies <paramref name="text"/>; returns null, or Redis's reason for refusing it (nothing is changed then).</summary>
    public string? Set(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length % 4 != 0)
        {
            return "Wrong number of arguments in buffer limit configuration.";
        }

        var updated = (OutputBufferLimit[])_limits.Clone();
        for (int i = 0; i < words.Length; i += 4)
        {
            int index = words[i].ToLowerInvariant() switch
            {
                "normal" => 0,
                "slave" or "replica" => 1,
                "pubsub" => 2,
                _ => -1,
            };

            if (index < 0)
            {
                return "Invalid client class specified in buffer limit configuration.";
            }

            if (!ServerConfig.ParseMemory(words[i + 1], out long hard) || !ServerConfig.ParseMemory(words[i + 2], out long soft)
                || !long.TryParse(words[i + 3], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long seconds)
                || hard < 0 || soft < 0 || seconds < 0)
            {
                return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            }

            updated[index] = new OutputBufferLimit(hard, soft, seconds);
        }

        Array.Copy(updated, _limits, _limits.Length);
        return null;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (int i = 0; i < _limits.Length; i++)
        {
            var limit = _limits[i];
            text.Append(CultureInfo.InvariantCulture, $"{(i > 0 ? " " : "")}{ClassNames[i]} {limit.HardBytes} {limit.SoftBytes} {limit.SoftSeconds}");
        }

        return text.ToString();
    }
}
