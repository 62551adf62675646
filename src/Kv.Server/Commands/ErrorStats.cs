using System.Text;
using Kv.Protocol;
using Kv.Server.Storage;

namespace Kv.Server.Commands;

/// <summary>
/// Error replies counted by code (Redis's server.errors, shown by INFO errorstats and cleared by
/// CONFIG RESETSTAT). Every <see cref="CommandContext"/>'s reply writer reports here, so an error
/// counts wherever it is written: a command's reply, a blocked client's (-NOGROUP after XGROUP
/// DESTROY, -UNBLOCKED), a rejection or a protocol error.
/// </summary>
/// <remarks>
/// Protocol errors are written outside the keyspace lock, hence the table's own lock. Codes are
/// partly the client's to choose (a script's redis.error_reply), so at most <see cref="MaxCodes"/>
/// distinct codes are kept (Redis 7.2's ERROR_STATS_NUMBER; 7.0 keeps any number); errors with a new
/// code past that count only in total_error_replies.
/// </remarks>
internal sealed class ErrorStats : IErrorCounter
{
    public const int MaxCodes = 128;

    private readonly Lock _lock = new();
    private readonly Dictionary<byte[], long> _counts = new(ByteKeyComparer.Instance);

    /// <summary>Every error reply counted (INFO total_error_replies), codes past the table's limit too.</summary>
    public long Total { get; private set; }

    public void Count(ReadOnlySpan<byte> code)
    {
        lock (_lock)
        {
            Total++;
            var lookup = _counts.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (lookup.TryGetValue(code, out long count))
            {
                lookup[code] = count + 1;
            }
            else if (_counts.Count < MaxCodes)
            {
                lookup[code] = 1;
            }
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            Total = 0;
            _counts.Clear();
        }
    }

    /// <summary>Appends "errorstat_CODE:count=N" lines, codes in byte order as Redis's rax lists them.</summary>
    public void AppendInfo(StringBuilder text)
    {
        KeyValuePair<byte[], long>[] counts;
        lock (_lock)
        {
            counts = [.. _counts];
        }

        Array.Sort(counts, static (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        foreach (var (code, count) in counts)
        {
            text.Append("errorstat_").Append(Encoding.Latin1.GetString(code)).Append(":count=").Append(count).Append("\r\n");
        }
    }
}
