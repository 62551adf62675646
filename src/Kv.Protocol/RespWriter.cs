using System.Buffers;
using System.Globalization;
using System.Text;

namespace Kv.Protocol;

/// <summary>
/// Writes RESP2 or RESP3 frames straight into an <see cref="IBufferWriter{T}"/>. Types that exist
/// only in RESP3 (maps, sets, doubles, nulls, booleans, big numbers, verbatim strings, pushes) fall
/// back to the RESP2 shape Redis uses for them when <see cref="Protocol"/> is 2.
/// </summary>
public sealed class RespWriter
{
    private const int LargeChunk = 64 * 1024;
    private IBufferWriter<byte> _output;

    /// <summary>Creates a writer over <paramref name="output"/>.</summary>
    public RespWriter(IBufferWriter<byte> output, int protocol = 2)
    {
        _output = output;
        Protocol = protocol;
    }

    /// <summary>2 or 3.</summary>
    public int Protocol { get; set; }

    /// <summary>Errors written so far (INFO's total_error_replies and commandstats' failed_calls).</summary>
    public long ErrorCount { get; private set; }

    /// <summary>Told the code of every error written (INFO errorstats); null counts nothing.</summary>
    public IErrorCounter? ErrorCounter { get; set; }

    /// <summary>Bytes written so far: lets a caller tell whether a failed command left part of a reply behind.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>True when writing RESP3.</summary>
    public bool IsResp3 => Protocol == 3;

    /// <summary>Where frames go.</summary>
    public IBufferWriter<byte> Output
    {
        get => _output;
        set => _output = value;
    }

    /// <summary>+OK</summary>
    public void Ok() => Raw("+OK\r\n"u8);

    /// <summary>Writes bytes that are already RESP.</summary>
    public void Raw(ReadOnlySpan<byte> frame)
    {
        var span = _output.GetSpan(frame.Length);
        frame.CopyTo(span);
        Advance(frame.Length);
    }

    /// <summary>A simple string (<c>+text</c>); the text must not hold CR or LF.</summary>
    public void SimpleString(ReadOnlySpan<byte> text) => Line((byte)'+', text);

    /// <summary>A simple string from ASCII text.</summary>
    public void SimpleString(string text) => Line((byte)'+', text);

    /// <summary>An error (<c>-PREFIX message</c>); <paramref name="text"/> carries its prefix, such as <c>ERR</c>.</summary>
    public void Error(ReadOnlySpan<byte> text)
    {
        ErrorCount++;
        ErrorCounter?.Count(ErrorCode(text));
        Line((byte)'-', text);
    }

    /// <summary>An error from text; CR and LF are replaced by spaces as Redis does.</summary>
    public void Error(string text)
    {
        ErrorCount++;
        if (ErrorCounter is { } counter)
        {
            Span<byte> start = stackalloc byte[ErrorCodeScan];
            int n = Math.Min(text.Length, ErrorCodeScan);
            for (int i = 0; i < n; i++)
            {
                start[i] = (byte)text[i];
            }

            counter.Count(ErrorCode(start[..n]));
        }

        Line((byte)'-', text);
    }

    // Redis's afterErrorReply looks for the space ending the code in the first 32 bytes of "-CODE
    // message" (31 of the text after the dash); without one the error counts as ERR.
    private const int ErrorCodeScan = 31;

    private static ReadOnlySpan<byte> ErrorCode(ReadOnlySpan<byte> text)
    {
        int space = text[..Math.Min(text.Length, ErrorCodeScan)].IndexOf((byte)' ');
        return space >= 0 ? text[..space] : "ERR"u8;
    }

    /// <summary>An integer (<c>:n</c>).</summary>
    public void Integer(long value)
    {
        var span = _output.GetSpan(24);
        span[0] = (byte)':';
        value.TryFormat(span[1..], out int n, default, CultureInfo.InvariantCulture);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        Advance(n + 3);
    }

    /// <summary>A bulk string.</summary>
    public void Bulk(ReadOnlySpan<byte> value)
    {
        if (value.Length <= LargeChunk)
        {
            var span = _output.GetSpan(value.Length + 16);
            span[0] = (byte)'$';
            value.Length.TryFormat(span[1..], out int n, default, CultureInfo.InvariantCulture);
            span[n + 1] = (byte)'\r';
            span[n + 2] = (byte)'\n';
            value.CopyTo(span[(n + 3)..]);
            int end = n + 3 + value.Length;
            span[end] = (byte)'\r';
            span[end + 1] = (byte)'\n';
            Advance(end + 2);
            return;
        }

        Header((byte)'$', value.Length);
        while (!value.IsEmpty)
        {
            var span = _output.GetSpan(Math.Min(value.Length, LargeChunk));
            int take = Math.Min(span.Length, value.Length);
            value[..take].CopyTo(span);
            Advance(take);
            value = value[take..];
        }

        Raw("\r\n"u8);
    }

    /// <summary>A bulk string from text (UTF-8).</summary>
    public void Bulk(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > LargeChunk)
        {
            Bulk(Encoding.UTF8.GetBytes(value));
            return;
        }

        Span<byte> buffer = max <= 512 ? stackalloc byte[max] : new byte[max];
        int n = Encoding.UTF8.GetBytes(value, buffer);
        Bulk(buffer[..n]);
    }

    /// <summary>An integer written as a bulk string, as Redis replies to INCRBYFLOAT or CONFIG GET.</summary>
    public void BulkInteger(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        Bulk(digits[..n]);
    }

    /// <summary>The null bulk string (<c>$-1</c>, or <c>_</c> in RESP3).</summary>
    public void NullBulk() => Raw(IsResp3 ? "_\r\n"u8 : "$-1\r\n"u8);

    /// <summary>The null array (<c>*-1</c>, or <c>_</c> in RESP3).</summary>
    public void NullArray() => Raw(IsResp3 ? "_\r\n"u8 : "*-1\r\n"u8);

    /// <summary>An array header.</summary>
    public void ArrayHeader(long count) => Header((byte)'*', count);

    /// <summary>A map header for <paramref name="pairs"/> key/value pairs (RESP2: a flat array).</summary>
    public void MapHeader(long pairs)
    {
        if (IsResp3)
        {
            Header((byte)'%', pairs);
        }
        else
        {
            Header((byte)'*', pairs * 2);
        }
    }

    /// <summary>A set header (RESP2: an array).</summary>
    public void SetHeader(long count) => Header(IsResp3 ? (byte)'~' : (byte)'*', count);

    /// <summary>A push header (RESP3 out-of-band data; RESP2: an array, as pub/sub messages).</summary>
    public void PushHeader(long count) => Header(IsResp3 ? (byte)'>' : (byte)'*', count);

    /// <summary>A boolean (RESP2: integer 1 or 0).</summary>
    public void Boolean(bool value)
    {
        if (IsResp3)
        {
            Raw(value ? "#t\r\n"u8 : "#f\r\n"u8);
        }
        else
        {
            Raw(value ? ":1\r\n"u8 : ":0\r\n"u8);
        }
    }

    /// <summary>A double: RESP3 <c>,</c> frame, RESP2 bulk string; formatted as Redis 7.0 (<c>%.17g</c>, <c>inf</c>).</summary>
    public void Double(double value)
    {
        Span<byte> text = stackalloc byte[40];
        int n = RespNumber.FormatDouble(value, text);
        if (IsResp3)
        {
            Line((byte)',', text[..n]);
        }
        else
        {
            Bulk(text[..n]);
        }
    }

    /// <summary>A big number (RESP3 <c>(</c>; RESP2 bulk string).</summary>
    public void BigNumber(ReadOnlySpan<byte> digits)
    {
        if (IsResp3)
        {
            Line((byte)'(', digits);
        }
        else
        {
            Bulk(digits);
        }
    }

    /// <summary>A verbatim string (RESP3 <c>=len\r\ntxt:…</c>; RESP2 bulk string), as INFO replies.</summary>
    public void Verbatim(ReadOnlySpan<byte> text, string format = "txt")
    {
        if (!IsResp3)
        {
            Bulk(text);
            return;
        }

        Header((byte)'=', text.Length + 4);
        var prefix = _output.GetSpan(4);
        for (int i = 0; i < 3; i++)
        {
            prefix[i] = (byte)format[i];
        }

        prefix[3] = (byte)':';
        Advance(4);
        Raw(text);
        Raw("\r\n"u8);
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        BytesWritten += count;
    }

    private void Header(byte marker, long count)
    {
        var span = _output.GetSpan(24);
        span[0] = marker;
        count.TryFormat(span[1..], out int n, default, CultureInfo.InvariantCulture);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        Advance(n + 3);
    }

    private void Line(byte marker, ReadOnlySpan<byte> text)
    {
        var span = _output.GetSpan(text.Length + 3);
        span[0] = marker;
        text.CopyTo(span[1..]);
        span[text.Length + 1] = (byte)'\r';
        span[text.Length + 2] = (byte)'\n';
        Advance(text.Length + 3);
    }

    private void Line(byte marker, string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        var span = _output.GetSpan(max + 3);
        span[0] = marker;
        int n = Encoding.UTF8.GetBytes(text, span[1..]);
        foreach (ref byte b in span.Slice(1, n))
        {
            if (b is (byte)'\r' or (byte)'\n')
            {
                b = (byte)' ';
            }
        }

        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        Advance(n + 3);
    }
}
