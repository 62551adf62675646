using System.Globalization;
using System.Text;

namespace Kv.Protocol;

/// <summary>Number parsing and formatting with Redis's rules (string2ll, strtod, <c>%.17g</c>).</summary>
public static class RespNumber
{
    /// <summary>Parses a signed 64-bit integer as Redis's string2ll: optional '-', digits, no '+', no leading zeros, no spaces.</summary>
    public static bool TryParseInt64(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        bool negative = text[0] == (byte)'-';
        int i = negative ? 1 : 0;
        if (i == text.Length || text[i] < (byte)'1' || text[i] > (byte)'9')
        {
            return false;
        }

        ulong magnitude = 0;
        for (; i < text.Length; i++)
        {
            uint digit = (uint)(text[i] - '0');
            if (digit > 9)
            {
                return false;
            }

            if (magnitude > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            magnitude = (magnitude * 10) + digit;
        }

        if (negative)
        {
            if (magnitude > (ulong)long.MaxValue + 1)
            {
                return false;
            }

            value = (long)(0 - magnitude);
            return true;
        }

        if (magnitude > long.MaxValue)
        {
            return false;
        }

        value = (long)magnitude;
        return true;
    }

    /// <summary>Parses a double as Redis does with strtod: no surrounding spaces, <c>inf</c>/<c>-inf</c> accepted, NaN rejected.</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 5000 || IsSpace(text[0]) || IsSpace(text[^1]))
        {
            return false;
        }

        var body = text;
        bool negative = false;
        if (body[0] is (byte)'+' or (byte)'-')
        {
            negative = body[0] == (byte)'-';
            body = body[1..];
        }

        if (body.Length is 3 or 8 && (Ascii.EqualsIgnoreCase(body, "inf"u8) || Ascii.EqualsIgnoreCase(body, "infinity"u8)))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        foreach (byte b in body)
        {
            // strtod's decimal syntax only: refuse what .NET accepts beyond it (thousands separators, "Infinity" spelled as ∞, …).
            if (!((b >= '0' && b <= '9') || b == '.' || b == 'e' || b == 'E' || b == '+' || b == '-'))
            {
                return false;
            }
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) || double.IsNaN(value))
        {
            return false;
        }

        return true;
    }

    /// <summary>Formats as C's <c>%.17g</c> (Redis 7.0's double replies), with <c>inf</c>, <c>-inf</c> and <c>nan</c>.</summary>
    /// <returns>Bytes written (at most 32).</returns>
    public static int FormatDouble(double value, Span<byte> destination)
    {
        if (double.IsInfinity(value))
        {
            var text = value > 0 ? "inf"u8 : "-inf"u8;
            text.CopyTo(destination);
            return text.Length;
        }

        if (double.IsNaN(value))
        {
            "nan"u8.CopyTo(destination);
            return 3;
        }

        value.TryFormat(destination, out int written, "G17", CultureInfo.InvariantCulture);
        for (int i = 0; i < written; i++)
        {
            if (destination[i] == (byte)'E')
            {
                destination[i] = (byte)'e';
            }
        }

        return written;
    }

    /// <summary>Formats an integer; returns the bytes written (at most 20).</summary>
    public static int FormatInt64(long value, Span<byte> destination)
    {
        value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        return written;
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
}
