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

/// <summary>What <c>RespRequestParser.Parse</c> found.</summary>
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

    /// <summary>With <see cref="RequestStatus.NeedMoreData"/>: how many bytes, from the start of the request, must have arrived before parsing again can make progress (0: any new byte may).</summary>
    public long BytesNeeded { get; }

    /// <summary>
    /// With <see cref="RequestStatus.ProtocolError"/>: Redis's error text, without the leading '-'. Every
    /// char is below 256 and stands for one byte (Latin-1): "expected '$', got 'x'" quotes the raw byte.
    /// </summary>
    public string? Error { get; }
}

/// <summary>
/// Where a multibulk request that has not fully arrived stopped, so the next parse resumes there
/// instead of from the start of the request (as Redis keeps multibulklen/bulklen in the client):
/// a request with many arguments arriving in small reads is parsed in linear time.
/// </summary>
public struct MultiBulkProgress
{
    internal long Count;
    internal long Parsed;
    internal int Position;

    /// <summary>True when a request is partly parsed: its ranges so far are in the list from <see cref="FirstArg"/> on.</summary>
    public readonly bool InProgress => Count > 0;

    /// <summary>Index in the range list of the partly parsed request's first argument; update it when moving the ranges.</summary>
    public int FirstArg { readonly get; set; }

    /// <summary>Forgets the partly parsed request (its ranges must be dropped too).</summary>
    public void Reset() => this = default;
}

/// <summary>
/// Parses client requests — RESP multibulk arrays and inline commands — from a contiguous buffer
/// without copying: arguments are returned as ranges of the input. Inline arguments, which may carry
/// escapes, are unescaped into a caller-owned scratch buffer instead.
/// </summary>
public static class RespRequestParser
{
    // Redis: unauthenticated clients may send at most 10 arguments of at most 16 KB each.
    private const int UnauthenticatedMaxArgs = 10;
    private const int UnauthenticatedMaxBulk = 16384;

    /// <summary>Parses one request starting at the beginning of <paramref name="buffer"/>, from scratch.</summary>
    /// <param name="buffer">Received bytes not yet consumed.</param>
    /// <param name="limits">Limits in force for this client.</param>
    /// <param name="args">Receives the argument ranges (appended; nothing is left appended unless the result is <see cref="RequestStatus.Complete"/>).</param>
    /// <param name="inlineScratch">Receives unescaped inline arguments; ranges then refer to it.</param>
    public static RequestParseResult Parse(ReadOnlySpan<byte> buffer, in RequestLimits limits, ArgRangeList args, ScratchBuffer inlineScratch)
    {
        var progress = default(MultiBulkProgress);
        int before = args.Count;
        var result = Parse(buffer, limits, args, inlineScratch, ref progress);
        if (result.Status == RequestStatus.NeedMoreData)
        {
            args.Truncate(before);
        }

        return result;
    }

    /// <summary>
    /// Parses one request starting at the beginning of <paramref name="buffer"/>, resuming a multibulk
    /// request where <paramref name="progress"/> says the previous call stopped. Between calls the
    /// buffer must start at the same request and only grow, and the ranges from
    /// <see cref="MultiBulkProgress.FirstArg"/> on must be kept.
    /// </summary>
    /// <param name="buffer">Received bytes not yet consumed, starting at the request.</param>
    /// <param name="limits">Limits in force for this client.</param>
    /// <param name="args">Receives the argument ranges (appended).</param>
    /// <param name="inlineScratch">Receives unescaped inline arguments; ranges then refer to it.</param>
    /// <param name="progress">Where a partly received multibulk request stopped; reset when a request completes or fails.</param>
    public static RequestParseResult Parse(ReadOnlySpan<byte> buffer, in RequestLimits limits, ArgRangeList args, ScratchBuffer inlineScratch, ref MultiBulkProgress progress)
    {
        if (progress.InProgress)
        {
            return ParseMultiBulk(buffer, limits, args, ref progress);
        }

        if (buffer.IsEmpty)
        {
            return new RequestParseResult(RequestStatus.NeedMoreData, 0, false, 0, null);
        }

        return buffer[0] == (byte)'*'
            ? ParseMultiBulk(buffer, limits, args, ref progress)
            : ParseInline(buffer, args, inlineScratch);
    }

    private static RequestParseResult ParseMultiBulk(ReadOnlySpan<byte> buffer, in RequestLimits limits, ArgRangeList args, ref MultiBulkProgress progress)
    {
        if (progress.InProgress)
        {
            return ParseBulks(buffer, limits, args, ref progress, progress.Count, progress.Parsed, progress.Position, progress.FirstArg);
        }

        // Redis (processMultibulkBuffer) finds the '\r' with strchr, waits until the byte after it
        // has arrived too, and only then validates the line; so a bad line is an error only once whole.
        int lineEnd = LineEnd(buffer, (byte)'\r');
        if (lineEnd < 0)
        {
            return buffer.Length > RequestLimits.InlineMaxSize
                ? Error("ERR Protocol error: too big mbulk count string")
                : NeedMore(0);
        }

        if (lineEnd + 2 > buffer.Length)
        {
            return NeedMore(lineEnd + 2);
        }

        // string2ll: optional '-', digits, no '+', no leading zeros, no spaces; counts above INT_MAX refused.
        if (!RespNumber.TryParseInt64(buffer[1..lineEnd], out long count) || count > int.MaxValue)
        {
            return Error("ERR Protocol error: invalid multibulk length");
        }

        if (!limits.Authenticated && count > UnauthenticatedMaxArgs)
        {
            return Error("ERR Protocol error: unauthenticated multibulk length");
        }

        int pos = lineEnd + 2;
        if (count <= 0)
        {
            // "*0" and "*-1" (any count <= 0) are skipped without a reply.
            return new RequestParseResult(RequestStatus.Empty, pos, false, 0, null);
        }

        return ParseBulks(buffer, limits, args, ref progress, count, 0, pos, args.Count);
    }

    private static RequestParseResult ParseBulks(ReadOnlySpan<byte> buffer, in RequestLimits limits, ArgRangeList args, ref MultiBulkProgress progress, long count, long i, int pos, int firstArg)
    {
        for (; i < count; i++)
        {
            var rest = buffer[pos..];
            int cr = LineEnd(rest, (byte)'\r');
            if (cr < 0)
            {
                if (rest.Length > RequestLimits.InlineMaxSize)
                {
                    return Fail(args, ref progress, firstArg, "ERR Protocol error: too big bulk count string");
                }

                return Suspend(ref progress, count, i, pos, firstArg, 0);
            }

            if (cr + 2 > rest.Length)
            {
                return Suspend(ref progress, count, i, pos, firstArg, 0);
            }

            if (rest[0] != (byte)'$')
            {
                return Fail(args, ref progress, firstArg, ExpectedDollar(rest[0]));
            }

            if (!RespNumber.TryParseInt64(rest[1..cr], out long length) || length < 0 || length > limits.MaxBulkLength)
            {
                return Fail(args, ref progress, firstArg, "ERR Protocol error: invalid bulk length");
            }

            if (!limits.Authenticated && length > UnauthenticatedMaxBulk)
            {
                return Fail(args, ref progress, firstArg, "ERR Protocol error: unauthenticated bulk length");
            }

            // Redis skips the two bytes after the data without checking that they are "\r\n"
            // ("$3\r\nabcXY" is the argument "abc"); so do we.
            int dataStart = pos + cr + 2;
            long dataEnd = dataStart + length + 2;
            if (dataEnd > buffer.Length)
            {
                // Nothing in the data can be an error, so tell the caller to read up to its end
                // before trying again: a large value is then parsed once, not once per receive.
                return Suspend(ref progress, count, i, pos, firstArg, dataEnd);
            }

            args.Add(new ArgRange(dataStart, (int)length));
            pos = (int)dataEnd;
        }

        progress.Reset();
        return new RequestParseResult(RequestStatus.Complete, pos, false, 0, null);
    }

    private static RequestParseResult Suspend(ref MultiBulkProgress progress, long count, long parsed, int pos, int firstArg, long needed)
    {
        progress.Count = count;
        progress.Parsed = parsed;
        progress.Position = pos;
        progress.FirstArg = firstArg;
        return NeedMore(needed);
    }

    private static RequestParseResult Fail(ArgRangeList args, ref MultiBulkProgress progress, int firstArg, string error)
    {
        args.Truncate(firstArg);
        progress.Reset();
        return Error(error);
    }

    private static RequestParseResult ParseInline(ReadOnlySpan<byte> buffer, ArgRangeList args, ScratchBuffer scratch)
    {
        int newline = LineEnd(buffer, (byte)'\n');
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

    // Redis finds line ends with strchr on its query buffer, which stops at a NUL byte: a NUL
    // before the terminator means "no line yet" (the request then waits, or hits the 64 KB limit).
    private static int LineEnd(ReadOnlySpan<byte> buffer, byte terminator)
    {
        int index = buffer.IndexOfAny(terminator, (byte)0);
        return index >= 0 && buffer[index] == terminator ? index : -1;
    }

    // Redis: "Protocol error: expected '$', got '%c'" with the byte as is, CR and LF turned into
    // spaces as in every error reply. The char stands for one byte (Latin-1).
    private static string ExpectedDollar(byte got)
    {
        char c = got is (byte)'\r' or (byte)'\n' ? ' ' : (char)got;
        return "ERR Protocol error: expected '$', got '" + c + "'";
    }

    private static RequestParseResult NeedMore(long needed) => new(RequestStatus.NeedMoreData, 0, false, needed, null);

    private static RequestParseResult Error(string text) => new(RequestStatus.ProtocolError, 0, false, 0, text);
}
