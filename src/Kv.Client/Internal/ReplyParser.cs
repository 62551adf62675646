using Kv.Protocol;

namespace Kv.Client.Internal;

/// <summary>
/// Builds a <see cref="KvResult"/> from one complete frame (found by <see cref="RespFrameScanner"/>,
/// so no bounds are re-checked here). Bulk strings are copied out of the receive buffer once;
/// the frequent simple strings share one array each.
/// </summary>
internal static class ReplyParser
{
    // Deeper nesting than any command produces means a hostile or broken server.
    private const int MaxDepth = 256;

    private static readonly byte[] Ok = "OK"u8.ToArray();
    private static readonly byte[] Queued = "QUEUED"u8.ToArray();
    private static readonly byte[] Pong = "PONG"u8.ToArray();

    public static KvResult Parse(ReadOnlySpan<byte> frame)
    {
        int pos = 0;
        return Read(frame, ref pos, 0);
    }

    private static KvResult Read(ReadOnlySpan<byte> frame, ref int pos, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new KvProtocolException($"Protocol error: a reply nested more than {MaxDepth} levels deep.");
        }

        byte marker = frame[pos];
        int lineEnd = frame[(pos + 1)..].IndexOf("\r\n"u8);
        var line = frame.Slice(pos + 1, lineEnd);
        pos += lineEnd + 3;
        switch (marker)
        {
            case (byte)'+':
                return new KvResult(KvResultType.SimpleString, SimpleString(line));
            case (byte)'-':
                return new KvResult(KvResultType.Error, line.ToArray());
            case (byte)':':
                RespNumber.TryParseInt64(line, out long integer);
                return new KvResult(KvResultType.Integer, null, integer);
            case (byte)'_':
                return default;
            case (byte)'#':
                return new KvResult(KvResultType.Boolean, null, line[0] == (byte)'t' ? 1 : 0);
            case (byte)',':
                return new KvResult(KvResultType.Double, null, BitConverter.DoubleToInt64Bits(ParseDouble(line)));
            case (byte)'(':
                return new KvResult(KvResultType.BigNumber, line.ToArray());
            case (byte)'$':
            case (byte)'!':
            case (byte)'=':
            {
                RespNumber.TryParseInt64(line, out long length);
                if (length < 0)
                {
                    return default;
                }

                var body = frame.Slice(pos, (int)length);
                pos += (int)length + 2;
                return marker switch
                {
                    (byte)'$' => new KvResult(KvResultType.BulkString, body.ToArray()),
                    (byte)'!' => new KvResult(KvResultType.Error, body.ToArray()),

                    // Verbatim strings start with a three-letter format and a colon ("txt:"), kept in the number.
                    _ => body.Length >= 4 && body[3] == (byte)':'
                        ? new KvResult(KvResultType.VerbatimString, body[4..].ToArray(), body[0] | (body[1] << 8) | (body[2] << 16))
                        : new KvResult(KvResultType.VerbatimString, body.ToArray()),
                };
            }

            case (byte)'|':
            {
                // Attributes describe the reply that follows; no command the client sends asks for them.
                RespNumber.TryParseInt64(line, out long pairs);
                for (long i = 0; i < pairs * 2; i++)
                {
                    Read(frame, ref pos, depth + 1);
                }

                return Read(frame, ref pos, depth);
            }

            default:
            {
                RespNumber.TryParseInt64(line, out long count);
                if (count < 0)
                {
                    return default;
                }

                var type = marker switch
                {
                    (byte)'%' => KvResultType.Map,
                    (byte)'~' => KvResultType.Set,
                    (byte)'>' => KvResultType.Push,
                    _ => KvResultType.Array,
                };
                var items = new KvResult[marker == (byte)'%' ? count * 2 : count];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = Read(frame, ref pos, depth + 1);
                }

                return new KvResult(type, items);
            }
        }
    }

    private static byte[] SimpleString(ReadOnlySpan<byte> line)
    {
        if (line.SequenceEqual("OK"u8))
        {
            return Ok;
        }

        if (line.SequenceEqual("QUEUED"u8))
        {
            return Queued;
        }

        return line.SequenceEqual("PONG"u8) ? Pong : line.ToArray();
    }

    private static double ParseDouble(ReadOnlySpan<byte> line)
    {
        if (line.SequenceEqual("nan"u8) || line.SequenceEqual("-nan"u8))
        {
            return double.NaN;
        }

        if (!RespNumber.TryParseDouble(line, out double value))
        {
            throw new KvProtocolException($"Protocol error: the double '{System.Text.Encoding.ASCII.GetString(line)}' is not a number.");
        }

        return value;
    }
}
