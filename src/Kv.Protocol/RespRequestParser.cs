using System.Buffers.Text;

namespace Kv.Protocol;

/// <summary>Outcome of parsing one request from a receive buffer.</summary>
public enum RequestStatus
{
    /// <summary>A whole command was parsed; its arguments were appended.</summary>
    Complete,

    /// <summary>The bytes consumed held no command (an empty inline line or <c>*0</c>), as Redis skips them.</summary>
    Empty,

    /// <summary>The buffer ends inside a command; read more and parse again from the same offset.</summary>
    NeedMoreData,

    /// <summary>The client broke the protocol; answer <see cref="RequestParseResult.Error"/> and close.</summary>
    ProtocolError,
}

/// <summary>Where one argument lies in the buffer the command was parsed from.</summary>
/// <param name="Offset">Offset of the first byte.</param>
/// <param name="Length">Number of bytes.</param>
public readonly record struct ArgRange(int Offset, int Length);

/// <summary>The limits a server applies while parsing, as redis.conf names them.</summary>
public readonly struct RequestLimits
{
    /// <summary>Redis's PROTO_INLINE_MAX_SIZE: the longest inline request or count line.</summary>
    public const int InlineMaxSize = 64 * 1024;

    /// <summary>Creates limits.</summary>
    /// <param name="maxBulkLength"><c>proto-max-bulk-len</c>.</param>
    /// <param name="authenticated">False while a password is required and not yet given.</param>
    public RequestLimits(long maxBulkLength, bool authenticated)
    {
        MaxBulkLength = maxBulkLength;
        Authenticated = authenticated;
    }

    /// <summary><c>proto-max-bulk-len</c>: the largest bulk string accepted.</summary>
    public long MaxBulkLength { get; }

    /// <summary>Unauthenticated clients may only send small requests (Redis: 10 arguments, 16 KB bulks).</summary>
    public bool Authenticated { get; }
}

/// <summary>What <see cref="RespRequestParser.Parse"/> found.</summary>
public readonly struct RequestParseResult
{
    internal RequestParseResult(RequestStatus status, int consumed, bool inline, long needed, string? error)
    {
        Status = status;
        Consumed = consumed;
        IsInline = inline;
        BytesNeeded = needed;
        Error = error;
    }

    /// <summary>What happened.</summary>
    public RequestStatus Status { get; }

    /// <summary>Bytes of the buffer the command (or skipped empty request) used.</summary>
    public int Consumed { get; }

    /// <summary>True when the arguments were unescaped into the scratch buffer instead of pointing into the input.</summary>
    public bool IsInline { get; }

    /// <summary>With <see cref="RequestStatus.NeedMoreData"/>: a lower bound on the bytes the whole command needs, or 0 when unknown.</summary>
    public long BytesNeeded { get; }

    /// <summary>With <see cref="RequestStatus.ProtocolError"/>: Redis's error text, without the leading '-'.</summary>
    public string? Error { get; }
}

/// <summary>
/// Parses client requests — RESP multibulk arrays and inline commands — from a contiguous buffer
/// without copying: arguments are returned as ranges of the input. Inline arguments, which may carry
/// escapes, are unescaped into a caller-owned scratch buffer instead.
/// </summary>
public static class RespRequestParser
{
    // Redis: PROTO_INLINE_MAX_SIZE; unauthenticated clients: at most 10 arguments of at most 16 KB.
    private const int UnauthenticatedMaxArgs = 10;
    private const int UnauthenticatedMaxBulk = 16384;

    /// <summary>Parses one request starting at the beginning of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Received bytes not yet consumed.</param>
    /// <param name="limits">Limits in force for this client.</param>
    /// <param name="args">Receives the argument ranges (appended).</param>
    /// <param name="inlineScratch">Receives unescaped inline arguments; ranges then refer to it.</param>
    public static RequestParseResult Parse(ReadOnlySpan<byte> buffer, in RequestLimits limits, ArgRangeList args, ScratchBuffer inlineScratch)
    {
        if (buffer.IsEmpty)
        {
            return new RequestParseResult(RequestStatus.NeedMoreData, 0, false, 0, null);
        }

        return buffer[0] == (byte)'*'
            ? ParseMultiBulk(buffer, limits, args)
            : ParseInline(buffer, args, inlineScratch);
    }

    private static RequestParseResult ParseMultiBulk(ReadOnlySpan<byte> buffer, in RequestLimits limits, ArgRangeList args)
    {
        int lineEnd = buffer.IndexOf((byte)'\r');
        if (lineEnd < 0)
        {
            return buffer.Length > RequestLimits.InlineMaxSize
                ? Error("ERR Protocol error: too big mbulk count string")
                : NeedMore(0);
        }

        if (!TryParseCount(buffer[1..lineEnd], out long count) || count > int.MaxValue)
        {
            return Error("ERR Protocol error: invalid multibulk length");
        }

        if (!limits.Authenticated && count > UnauthenticatedMaxArgs)
        {
            return Error("ERR Protocol error: unauthenticated multibulk length");
        }

        int pos = lineEnd + 2;
        if (pos > buffer.Length)
        {
            return NeedMore(0);
        }

        if (count <= 0)
        {
            return new RequestParseResult(RequestStatus.Empty, pos, false, 0, null);
        }

        int firstArg = args.Count;
        for (long i = 0; i < count; i++)
        {
            if (pos >= buffer.Length)
            {
                args.Truncate(firstArg);
                return NeedMore(0);
            }

            if (buffer[pos] != (byte)'$')
            {
                args.Truncate(firstArg);
                return Error("ERR Protocol error: expected '$', got '" + (char)buffer[pos] + "'");
            }

            var rest = buffer[(pos + 1)..];
            int cr = rest.IndexOf((byte)'\r');
            if (cr < 0)
            {
                args.Truncate(firstArg);
                return rest.Length > RequestLimits.InlineMaxSize
                    ? Error("ERR Protocol error: too big bulk count string")
                    : NeedMore(0);
            }

            if (!TryParseCount(rest[..cr], out long length) || length < 0 || length > limits.MaxBulkLength)
            {
                args.Truncate(firstArg);
                return Error("ERR Protocol error: invalid bulk length");
            }

            if (!limits.Authenticated && length > UnauthenticatedMaxBulk)
            {
                args.Truncate(firstArg);
                return Error("ERR Protocol error: unauthenticated bulk length");
            }

            int dataStart = pos + 1 + cr + 2;
            long dataEnd = dataStart + length + 2;
            if (dataEnd > buffer.Length)
            {
                args.Truncate(firstArg);
                // Tell the caller how far it must read before trying again, so a large value is
                // parsed once instead of once per receive.
                return NeedMore(dataEnd + ((count - i - 1) * 4));
            }

            args.Add(new ArgRange(dataStart, (int)length));
            pos = (int)dataEnd;
        }

        return new RequestParseResult(RequestStatus.Complete, pos, false, 0, null);
    }

    private static RequestParseResult ParseInline(ReadOnlySpan<byte> buffer, ArgRangeList args, ScratchBuffer scratch)
    {
        int newline = buffer.IndexOf((byte)'\n');
        if (newline < 0)
        {
            return buffer.Length > RequestLimits.InlineMaxSize
                ? Error("ERR Protocol error: too big inline request")
                : NeedMore(0);
        }

        var line = buffer[..newline];
        if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        int firstArg = args.Count;
        if (!InlineSplitter.TrySplit(line, args, scratch))
        {
            args.Truncate(firstArg);
            return Error("ERR Protocol error: unbalanced quotes in request");
        }

        return args.Count == firstArg
            ? new RequestParseResult(RequestStatus.Empty, newline + 1, true, 0, null)
            : new RequestParseResult(RequestStatus.Complete, newline + 1, true, 0, null);
    }

    // Redis reads counts with string2ll: an optional '-' then digits, nothing else.
    private static bool TryParseCount(ReadOnlySpan<byte> digits, out long value)
    {
        if (digits.IsEmpty || (digits.Length > 1 && digits[0] == (byte)'0'))
        {
            // Redis accepts "0" but string2ll rejects leading zeros such as "01".
            value = 0;
            return digits.Length == 1;
        }

        return Utf8Parser.TryParse(digits, out value, out int used) && used == digits.Length && digits[0] != (byte)'+';
    }

    private static RequestParseResult NeedMore(long needed) => new(RequestStatus.NeedMoreData, 0, false, needed, null);

    private static RequestParseResult Error(string text) => new(RequestStatus.ProtocolError, 0, false, 0, text);
}
