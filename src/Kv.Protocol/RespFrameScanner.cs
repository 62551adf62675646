namespace Kv.Protocol;

/// <summary>What <see cref="RespFrameScanner.Scan"/> found at the start of a buffer.</summary>
public enum RespFrameStatus
{
    /// <summary>A whole frame is there; its length is known.</summary>
    Complete,

    /// <summary>The frame has not fully arrived; read more.</summary>
    Incomplete,

    /// <summary>The bytes are not RESP: the stream cannot be trusted any more.</summary>
    Invalid,
}

/// <summary>The outcome of scanning one RESP2/RESP3 reply frame.</summary>
public readonly struct RespFrameScan
{
    internal RespFrameScan(RespFrameStatus status, long length, string? error)
    {
        Status = status;
        Length = length;
        Error = error;
    }

    /// <summary>Whether a frame is complete, incomplete or invalid.</summary>
    public RespFrameStatus Status { get; }

    /// <summary>Complete: the frame's length in bytes. Incomplete: the fewest bytes the buffer must hold before scanning again can succeed.</summary>
    public long Length { get; }

    /// <summary>Invalid: what was wrong, for the error that ends the connection.</summary>
    public string? Error { get; }
}

/// <summary>
/// Finds where one RESP2/RESP3 frame (a server reply or push, attributes included) ends without
/// allocating, so a reader can build the reply only once all of it has arrived, and can tell
/// garbage from a slow network. Nesting is followed with a counter of frames still expected, so a
/// deeply nested reply cannot exhaust the stack here.
/// </summary>
public static class RespFrameScanner
{
    // A type line (+, -, :, $len…) longer than this without CRLF is garbage, not a slow network.
    private const int MaxLineLength = 64 * 1024 * 1024;

    /// <summary>Scans the frame that starts at <paramref name="buffer"/>[0].</summary>
    public static RespFrameScan Scan(ReadOnlySpan<byte> buffer)
    {
        long expected = 1;
        int pos = 0;
        while (expected > 0)
        {
            if (pos >= buffer.Length)
            {
                return new RespFrameScan(RespFrameStatus.Incomplete, pos + 1, null);
            }

            byte marker = buffer[pos];
            int lineEnd = buffer[(pos + 1)..].IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                if (buffer.Length - pos > MaxLineLength)
                {
                    return Invalid($"no CRLF within {MaxLineLength} bytes after a '{(char)marker}' marker");
                }

                return new RespFrameScan(RespFrameStatus.Incomplete, buffer.Length + 1, null);
            }

            var line = buffer.Slice(pos + 1, lineEnd);
            int next = pos + 1 + lineEnd + 2;
            switch (marker)
            {
                case (byte)'+':
                case (byte)'-':
                case (byte)',':
                case (byte)'(':
                    expected--;
                    break;
                case (byte)':':
                    if (!RespNumber.TryParseInt64(line, out _))
                    {
                        return Invalid("an integer reply that is not a number");
                    }

                    expected--;
                    break;
                case (byte)'_':
                    if (!line.IsEmpty)
                    {
                        return Invalid("a null with a payload");
                    }

                    expected--;
                    break;
                case (byte)'#':
                    if (line.Length != 1 || (line[0] != (byte)'t' && line[0] != (byte)'f'))
                    {
                        return Invalid("a boolean that is neither t nor f");
                    }

                    expected--;
                    break;
                case (byte)'$':
                case (byte)'=':
                case (byte)'!':
                {
                    if (!RespNumber.TryParseInt64(line, out long length) || length < -1 || (length == -1 && marker != (byte)'$'))
                    {
                        return Invalid("a bulk length that is not a valid number");
                    }

                    if (length > int.MaxValue - 64)
                    {
                        return Invalid($"a bulk length of {length} bytes, more than a reply can hold");
                    }

                    if (length >= 0)
                    {
                        long end = next + length + 2;
                        if (end > buffer.Length)
                        {
                            return new RespFrameScan(RespFrameStatus.Incomplete, end, null);
                        }

                        if (buffer[(int)end - 2] != (byte)'\r' || buffer[(int)end - 1] != (byte)'\n')
                        {
                            return Invalid("a bulk string not followed by CRLF");
                        }

                        next = (int)end;
                    }

                    expected--;
                    break;
                }

                case (byte)'*':
                case (byte)'~':
                case (byte)'>':
                case (byte)'%':
                case (byte)'|':
                {
                    if (!RespNumber.TryParseInt64(line, out long count) || count < -1 || (count == -1 && marker != (byte)'*'))
                    {
                        return Invalid("an aggregate length that is not a valid number");
                    }

                    long items = marker is (byte)'%' or (byte)'|' ? count * 2 : Math.Max(count, 0);

                    // An attribute (|) describes the reply that follows it, so that reply is still expected.
                    expected += marker == (byte)'|' ? items : items - 1;
                    break;
                }

                default:
                    return Invalid($"byte 0x{marker:X2} where a RESP type marker was expected");
            }

            pos = next;
        }

        return new RespFrameScan(RespFrameStatus.Complete, pos, null);
    }

    private static RespFrameScan Invalid(string error) => new(RespFrameStatus.Invalid, 0, "Protocol error: " + error);
}
