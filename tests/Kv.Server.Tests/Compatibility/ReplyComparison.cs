using System.Globalization;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>How two replies to the same command must agree.</summary>
public enum ReplyMatch
{
    /// <summary>Byte for byte (type, text, nesting, order).</summary>
    Exact,

    /// <summary>The same elements in any order: for replies whose order Redis leaves unspecified (KEYS).</summary>
    Unordered,

    /// <summary>A remaining or absolute time in seconds (TTL, EXPIRETIME): -1/-2 exactly, other values within one second.</summary>
    Seconds,

    /// <summary>Both nil, or both a value of the same type: for replies Redis picks at random (RANDOMKEY).</summary>
    NilOrValue,

    /// <summary>A remaining or absolute time in milliseconds (PTTL, PEXPIRETIME): -1/-2 exactly, other values within a second.</summary>
    Milliseconds,
}

/// <summary>Compares a kv-server reply with a redis-server reply under a <see cref="ReplyMatch"/>.</summary>
public static class ReplyComparison
{
    // The two servers set and read a key's expiry a few hundred microseconds apart (more under a
    // loaded CI machine), and TTL rounds to the nearest second, so time values get a second of slack.
    private const long SecondsTolerance = 1;
    private const long MillisecondsTolerance = 1000;

    public static bool Matches(RespReply kv, RespReply redis, ReplyMatch match) => match switch
    {
        ReplyMatch.Unordered => Canonical(Sorted(kv)) == Canonical(Sorted(redis)),
        ReplyMatch.Seconds => WithinTolerance(kv, redis, SecondsTolerance),
        ReplyMatch.Milliseconds => WithinTolerance(kv, redis, MillisecondsTolerance),
        ReplyMatch.NilOrValue => kv.Type == redis.Type && kv.IsNull == redis.IsNull && (!redis.IsError || Same(kv, redis)),
        _ => Same(kv, redis),
    };

    /// <summary>
    /// <see cref="RespReply.ToString"/> with bulk payloads rendered from their bytes, non-printable
    /// bytes escaped as redis-cli shows them, so binary values are compared exactly and shown readably.
    /// </summary>
    public static string Canonical(RespReply reply)
    {
        var sb = new StringBuilder();
        Render(reply, sb);
        return sb.ToString();
    }

    /// <summary>Renders a command as redis-cli would print it, quoting arguments that need it.</summary>
    public static string RenderCommand(IEnumerable<object> args)
    {
        var sb = new StringBuilder();
        foreach (var arg in args)
        {
            if (sb.Length > 0)
            {
                sb.Append(' ');
            }

            byte[] bytes = arg switch
            {
                byte[] raw => raw,
                IFormattable f => Encoding.UTF8.GetBytes(f.ToString(null, CultureInfo.InvariantCulture)),
                _ => Encoding.UTF8.GetBytes(arg.ToString() ?? ""),
            };
            bool plain = bytes.Length > 0 && Array.TrueForAll(bytes, b => b > 0x20 && b < 0x7f && b != '"' && b != '\'' && b != '\\');
            if (plain)
            {
                sb.Append(Encoding.ASCII.GetString(bytes));
            }
            else
            {
                sb.Append('"');
                Escape(bytes, sb);
                sb.Append('"');
            }
        }

        return sb.ToString();
    }

    private static bool Same(RespReply kv, RespReply redis) => kv.ToString() == redis.ToString() && Canonical(kv) == Canonical(redis);

    private static bool WithinTolerance(RespReply kv, RespReply redis, long tolerance)
    {
        if (kv.Type == ':' && redis.Type == ':' && kv.Integer >= 0 && redis.Integer >= 0)
        {
            return Math.Abs(kv.Integer - redis.Integer) <= tolerance;
        }

        return Same(kv, redis);
    }

    private static RespReply Sorted(RespReply reply)
    {
        if (reply.Items is null || reply.Type == '%')
        {
            return reply;
        }

        var items = reply.Items.OrderBy(Canonical, StringComparer.Ordinal).ToList();
        return reply with { Items = items };
    }

    private static void Render(RespReply reply, StringBuilder sb)
    {
        if (reply.Items is not null)
        {
            sb.Append(reply.Type).Append('[');
            for (int i = 0; i < reply.Items.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(", ");
                }

                Render(reply.Items[i], sb);
            }

            sb.Append(']');
        }
        else if (reply.Bytes is not null)
        {
            sb.Append(reply.Type).Append('"');
            Escape(reply.Bytes, sb);
            sb.Append('"');
        }
        else
        {
            sb.Append(reply);
        }
    }

    private static void Escape(byte[] bytes, StringBuilder sb)
    {
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\\' or (byte)'"':
                    sb.Append('\\').Append((char)b);
                    break;
                case (byte)'\n':
                    sb.Append("\\n");
                    break;
                case (byte)'\r':
                    sb.Append("\\r");
                    break;
                case (byte)'\t':
                    sb.Append("\\t");
                    break;
                case >= 0x20 and < 0x7f:
                    sb.Append((char)b);
                    break;
                default:
                    sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
                    break;
            }
        }
    }
}
