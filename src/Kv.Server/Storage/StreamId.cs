using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>A stream entry ID: milliseconds and sequence, both unsigned 64-bit (Redis's streamID), ordered as one 128-bit number.</summary>
internal readonly record struct StreamId(ulong Ms, ulong Seq) : IComparable<StreamId>
{
    public static readonly StreamId Zero = new(0, 0);

    public static readonly StreamId Max = new(ulong.MaxValue, ulong.MaxValue);

    /// <summary>The longest text of an ID: 20 digits, '-', 20 digits.</summary>
    public const int MaxTextLength = 41;

    public bool IsZero => Ms == 0 && Seq == 0;

    public int CompareTo(StreamId other) => Ms != other.Ms ? Ms.CompareTo(other.Ms) : Seq.CompareTo(other.Seq);

    public static bool operator <(StreamId a, StreamId b) => a.CompareTo(b) < 0;

    public static bool operator >(StreamId a, StreamId b) => a.CompareTo(b) > 0;

    public static bool operator <=(StreamId a, StreamId b) => a.CompareTo(b) <= 0;

    public static bool operator >=(StreamId a, StreamId b) => a.CompareTo(b) >= 0;

    /// <summary>Redis's streamIncrID: the next ID; false (and 0-0) past the last possible one.</summary>
    public bool TryIncrement(out StreamId next)
    {
        if (Seq != ulong.MaxValue)
        {
            next = new StreamId(Ms, Seq + 1);
            return true;
        }

        if (Ms != ulong.MaxValue)
        {
            next = new StreamId(Ms + 1, 0);
            return true;
        }

        next = Zero;
        return false;
    }

    /// <summary>Redis's streamDecrID: the previous ID; false (and the maximum) before 0-0.</summary>
    public bool TryDecrement(out StreamId previous)
    {
        if (Seq != 0)
        {
            previous = new StreamId(Ms, Seq - 1);
            return true;
        }

        if (Ms != 0)
        {
            previous = new StreamId(Ms - 1, ulong.MaxValue);
            return true;
        }

        previous = Max;
        return false;
    }

    /// <summary>Writes <c>ms-seq</c> into <paramref name="destination"/> (at least <see cref="MaxTextLength"/> bytes); returns its length.</summary>
    public int Format(Span<byte> destination)
    {
        int n = FormatUInt64(Ms, destination);
        destination[n++] = (byte)'-';
        return n + FormatUInt64(Seq, destination[n..]);
    }

    public override string ToString()
    {
        Span<byte> text = stackalloc byte[MaxTextLength];
        return System.Text.Encoding.ASCII.GetString(text[..Format(text)]);
    }

    private static int FormatUInt64(ulong value, Span<byte> destination)
    {
        int digits = 1;
        for (ulong v = value; v >= 10; v /= 10)
        {
            digits++;
        }

        for (int i = digits - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (value % 10));
            value /= 10;
        }

        return digits;
    }

    /// <summary>
    /// Redis's streamGenericParseIDOrReply: <c>-</c>, <c>+</c> (unless <paramref name="strict"/>), <c>ms</c>
    /// (sequence <paramref name="missingSeq"/>) or <c>ms-seq</c>; with <paramref name="allowAutoSeq"/> also
    /// <c>ms-*</c>, which clears <paramref name="seqGiven"/>. Each number is read as string2ull (strtoull's
    /// spaces and sign included).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, ulong missingSeq, bool strict, bool allowAutoSeq, out StreamId id, out bool seqGiven)
    {
        id = Zero;
        seqGiven = true;
        if (text.Length > 127)
        {
            return false;
        }

        // Redis copies the argument into a C string: anything after a NUL byte is ignored.
        int nul = text.IndexOf((byte)0);
        if (nul >= 0)
        {
            text = text[..nul];
        }

        if (text.Length == 1 && text[0] is (byte)'-' or (byte)'+')
        {
            if (strict)
            {
                return false;
            }

            id = text[0] == (byte)'-' ? Zero : Max;
            return true;
        }

        int dash = text.IndexOf((byte)'-');
        var msText = dash >= 0 ? text[..dash] : text;
        if (!TryParseUInt64(msText, out ulong ms))
        {
            return false;
        }

        ulong seq = missingSeq;
        if (dash >= 0)
        {
            var seqText = text[(dash + 1)..];
            if (allowAutoSeq && seqText.Length == 1 && seqText[0] == (byte)'*')
            {
                seq = 0;
                seqGiven = false;
            }
            else if (!TryParseUInt64(seqText, out seq))
            {
                return false;
            }
        }

        id = new StreamId(ms, seq);
        return true;
    }

    /// <summary>Redis's string2ull: string2ll for a non-negative value, else strtoull's whole-string rules.</summary>
    private static bool TryParseUInt64(ReadOnlySpan<byte> text, out ulong value)
    {
        if (RespNumber.TryParseInt64(text, out long signed))
        {
            value = (ulong)signed;
            return signed >= 0;
        }

        // strtoull: leading white space, an optional sign (a '-' negates in unsigned arithmetic), digits, nothing after.
        value = 0;
        int i = 0;
        while (i < text.Length && text[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r')
        {
            i++;
        }

        bool negative = false;
        if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
        {
            negative = text[i] == (byte)'-';
            i++;
        }

        int start = i;
        ulong result = 0;
        for (; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            if (result > (ulong.MaxValue - digit) / 10)
            {
                return false; // ERANGE
            }

            result = (result * 10) + digit;
        }

        if (i == start)
        {
            return false;
        }

        value = negative ? 0 - result : result;
        return true;
    }
}
