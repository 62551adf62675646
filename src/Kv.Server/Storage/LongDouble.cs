using System.Globalization;
using System.Numerics;

namespace Kv.Server.Storage;

/// <summary>
/// The x87 80-bit extended float that is C's <c>long double</c> on x86-64 Linux, emulated exactly:
/// INCRBYFLOAT parses both operands with <c>strtold</c>, adds them as long doubles and prints the sum
/// with <c>%.17Lf</c> and trailing zeros trimmed, so matching Redis digit for digit needs the same
/// 64-bit significand and round-half-even at every step (0.1 + 0.2 prints "0.3" only because of it).
/// Common values take allocation-free <see cref="UInt128"/> paths; the rest use <see cref="BigInteger"/>.
/// </summary>
internal readonly struct LongDouble
{
    /// <summary>Exponent of the last significand bit of the smallest subnormal: 2^-16445.</summary>
    private const int MinExponent = -16445;

    /// <summary>Exponent of the last significand bit of the largest finite value: (2^64-1)·2^16320.</summary>
    private const int MaxExponent = 16320;

    /// <summary>Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses inputs this long or longer.</summary>
    private const int MaxChars = 5 * 1024;

    private const ulong TenPow17 = 100_000_000_000_000_000UL;

    private LongDouble(bool negative, ulong significand, int exponent, bool infinite = false)
    {
        Negative = negative;
        Significand = significand;
        Exponent = exponent;
        IsInfinity = infinite;
    }

    /// <summary>Sign (also of zero).</summary>
    public bool Negative { get; }

    /// <summary>The value is ±Significand·2^Exponent.</summary>
    public ulong Significand { get; }

    public int Exponent { get; }

    public bool IsInfinity { get; }

    public bool IsZero => !IsInfinity && Significand == 0;

    /// <summary>Bytes <see cref="FormatHuman"/> may need: 64 below 2^71, else up to ~4,950 digits.</summary>
    public int MaxFormattedLength => Exponent > 7 ? MaxChars : 64;

    /// <summary>
    /// Parses as Redis's string2ld: strtold must consume the whole text, no leading space, NaN refused,
    /// overflow refused, and underflow to zero refused (a nonzero input that rounds to a subnormal is kept).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out LongDouble value)
    {
        value = default;
        if (text.IsEmpty || text.Length >= MaxChars || IsSpace(text[0]))
        {
            return false;
        }

        int i = 0;
        bool negative = false;
        if (text[0] is (byte)'+' or (byte)'-')
        {
            negative = text[0] == (byte)'-';
            i = 1;
        }

        var body = text[i..];
        if (System.Text.Ascii.EqualsIgnoreCase(body, "inf"u8) || System.Text.Ascii.EqualsIgnoreCase(body, "infinity"u8))
        {
            value = new LongDouble(negative, 0, 0, infinite: true);
            return true;
        }

        if (body.Length >= 2 && body[0] == (byte)'0' && (body[1] | 0x20) == (byte)'x')
        {
            return TryParseHex(negative, body[2..], out value);
        }

        return TryParseDecimal(negative, body, out value);
    }

    /// <summary>The sum rounded to nearest-even, as the FPU adds long doubles; infinity on overflow.</summary>
    public static LongDouble Add(LongDouble a, LongDouble b)
    {
        if (a.IsInfinity || b.IsInfinity)
        {
            // inf + -inf is NaN in C; callers refuse both the same way, so report it as infinity.
            return new LongDouble(a.IsInfinity ? a.Negative : b.Negative, 0, 0, infinite: true);
        }

        if (a.IsZero)
        {
            // IEEE: -0 + -0 = -0, +0 + -0 = +0.
            return b.IsZero ? new LongDouble(a.Negative && b.Negative, 0, 0) : b;
        }

        if (b.IsZero)
        {
            return a;
        }

        if (b.Exponent > a.Exponent)
        {
            (a, b) = (b, a);
        }

        int gap = a.Exponent - b.Exponent;
        if (gap <= 63)
        {
            // Both operands fit 127 bits once aligned: the exact sum fits UInt128.
            UInt128 x = (UInt128)a.Significand << gap;
            UInt128 y = b.Significand;
            if (a.Negative == b.Negative)
            {
                return Round(a.Negative, x + y, b.Exponent, sticky: false);
            }

            if (x == y)
            {
                return new LongDouble(false, 0, 0);
            }

            return x > y ? Round(a.Negative, x - y, b.Exponent, false) : Round(b.Negative, y - x, b.Exponent, false);
        }

        var big = (new BigInteger(a.Significand) << gap) * (a.Negative ? -1 : 1);
        big += new BigInteger(b.Significand) * (b.Negative ? -1 : 1);
        return big.IsZero ? new LongDouble(false, 0, 0) : RoundBig(big.Sign < 0, BigInteger.Abs(big), BigInteger.One, b.Exponent);
    }

    /// <summary>
    /// Formats as Redis's ld2string in LD_STR_HUMAN mode: <c>%.17Lf</c> (exact digits, round half to even as
    /// glibc does), trailing zeros and a trailing point removed, "-0" written as "0".
    /// </summary>
    /// <returns>Bytes written; <paramref name="destination"/> needs 5,000 bytes for the largest values, 40 for |v| &lt; 2^71.</returns>
    public int FormatHuman(Span<byte> destination)
    {
        if (TryScaled(out UInt128 scaled))
        {
            Span<byte> digits = stackalloc byte[40];
            scaled.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
            return Layout(digits[..n], destination);
        }

        // Rare: |value| >= 2^71 or very precise; exact big-integer arithmetic.
        BigInteger big = new BigInteger(Significand) * TenPow17;
        if (Exponent >= 0)
        {
            big <<= Exponent;
        }
        else
        {
            int shift = -Exponent;
            var kept = big >> shift;
            var dropped = big - (kept << shift);
            int cmp = (dropped << 1).CompareTo(BigInteger.One << shift);
            if (cmp > 0 || (cmp == 0 && !kept.IsEven))
            {
                kept += 1;
            }

            big = kept;
        }

        var text = big.ToString(CultureInfo.InvariantCulture);
        Span<byte> ascii = text.Length <= 1024 ? stackalloc byte[text.Length] : new byte[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            ascii[i] = (byte)text[i];
        }

        return Layout(ascii, destination);
    }

    // value·10^17 rounded half-even, when it fits UInt128 without big arithmetic.
    private bool TryScaled(out UInt128 scaled)
    {
        scaled = 0;
        if (Significand == 0)
        {
            return true;
        }

        UInt128 product = (UInt128)Significand * TenPow17; // < 2^121
        if (Exponent >= 0)
        {
            if (Exponent > 7)
            {
                return false;
            }

            scaled = product << Exponent;
            return true;
        }

        int shift = -Exponent;
        if (shift >= 128)
        {
            // product < 2^121, so the value is below 2^-7 units of 10^-17: rounds to zero.
            return true;
        }

        UInt128 kept = product >> shift;
        UInt128 dropped = product - (kept << shift);
        UInt128 half = UInt128.One << (shift - 1);
        if (dropped > half || (dropped == half && (kept & 1) != 0))
        {
            kept++;
        }

        scaled = kept;
        return true;
    }

    // Digits of value·10^17 -> "[-]int[.frac]" with the fraction's trailing zeros trimmed.
    private int Layout(ReadOnlySpan<byte> digits, Span<byte> destination)
    {
        int pos = 0;
        bool zero = digits.Length == 1 && digits[0] == (byte)'0';
        if (Negative && !zero)
        {
            destination[pos++] = (byte)'-';
        }

        int intDigits = digits.Length - 17;
        if (intDigits <= 0)
        {
            destination[pos++] = (byte)'0';
        }
        else
        {
            digits[..intDigits].CopyTo(destination[pos..]);
            pos += intDigits;
        }

        int fracEnd = 17;
        Span<byte> fraction = stackalloc byte[17];
        for (int k = 0; k < 17; k++)
        {
            int index = digits.Length - 17 + k;
            fraction[k] = index >= 0 ? digits[index] : (byte)'0';
        }

        while (fracEnd > 0 && fraction[fracEnd - 1] == (byte)'0')
        {
            fracEnd--;
        }

        if (fracEnd > 0)
        {
            destination[pos++] = (byte)'.';
            fraction[..fracEnd].CopyTo(destination[pos..]);
            pos += fracEnd;
        }

        return pos;
    }

    private static bool TryParseDecimal(bool negative, ReadOnlySpan<byte> body, out LongDouble value)
    {
        value = default;
        int i = 0;
        int digitCount = 0;        // significant digits kept (leading zeros skipped)
        int fractionDigits = 0;    // of those, how many after the point (for the exponent)
        bool anyDigit = false;
        bool seenPoint = false;
        ulong small = 0;
        bool fitsSmall = true;
        int firstSignificant = -1;
        for (; i < body.Length; i++)
        {
            byte b = body[i];
            if (b == (byte)'.' && !seenPoint)
            {
                seenPoint = true;
                continue;
            }

            uint d = (uint)(b - '0');
            if (d > 9)
            {
                break;
            }

            anyDigit = true;
            if (d == 0 && digitCount == 0)
            {
                if (seenPoint)
                {
                    fractionDigits++;
                }

                continue;
            }

            if (firstSignificant < 0)
            {
                firstSignificant = i;
            }

            digitCount++;
            if (seenPoint)
            {
                fractionDigits++;
            }

            if (digitCount > 19)
            {
                fitsSmall = false;
            }
            else
            {
                small = (small * 10) + d;
            }
        }

        if (!anyDigit)
        {
            return false;
        }

        int mantissaEnd = i;
        long exponent = 0;
        if (i < body.Length && (body[i] | 0x20) == (byte)'e')
        {
            int j = i + 1;
            bool expNegative = false;
            if (j < body.Length && body[j] is (byte)'+' or (byte)'-')
            {
                expNegative = body[j] == (byte)'-';
                j++;
            }

            int start = j;
            for (; j < body.Length && (uint)(body[j] - '0') <= 9; j++)
            {
                if (exponent < 1_000_000)
                {
                    exponent = (exponent * 10) + (body[j] - '0');
                }
            }

            if (j == start)
            {
                // strtold stops before a bare 'e': trailing characters, refused.
                return false;
            }

            exponent = expNegative ? -exponent : exponent;
            i = j;
        }

        if (i != body.Length)
        {
            return false;
        }

        if (digitCount == 0)
        {
            value = new LongDouble(negative, 0, 0);
            return true;
        }

        long e10 = exponent - fractionDigits;

        // Magnitude is within [10^(digits+e10-1), 10^(digits+e10)); long double spans ~[3.6e-4951, 1.19e4932].
        long magnitude = digitCount + e10;
        if (magnitude > 4933)
        {
            return false;
        }

        if (magnitude < -4952)
        {
            return false;
        }

        if (fitsSmall && e10 >= 0 && e10 <= 19)
        {
            UInt128 exact = (UInt128)small * Pow10(e10);
            value = Round(negative, exact, 0, sticky: false);
            return !value.IsInfinity;
        }

        if (fitsSmall && e10 < 0 && e10 >= -17)
        {
            // Normalise so the quotient keeps >= 70 bits; the remainder is the sticky bit.
            UInt128 numerator = small;
            int shift = (int)UInt128.LeadingZeroCount(numerator) - 1;
            numerator <<= shift;
            ulong divisor = Pow10(-e10);
            UInt128 q = numerator / divisor;
            UInt128 r = numerator - (q * divisor);
            value = Round(negative, q, -shift, sticky: r != 0);
            return true;
        }

        var digits = BigInteger.Zero;
        for (int k = firstSignificant; k < mantissaEnd; k++)
        {
            if (body[k] != (byte)'.')
            {
                digits = (digits * 10) + (body[k] - '0');
            }
        }

        // digits counted trailing zeros too; e10 already accounts for every digit after the point.
        var num = e10 >= 0 ? digits * BigInteger.Pow(10, (int)e10) : digits;
        var den = e10 >= 0 ? BigInteger.One : BigInteger.Pow(10, (int)-e10);
        value = RoundBig(negative, num, den, 0);
        return !value.IsInfinity && !value.IsZero;
    }

    private static bool TryParseHex(bool negative, ReadOnlySpan<byte> body, out LongDouble value)
    {
        value = default;
        var mantissa = BigInteger.Zero;
        bool anyDigit = false;
        bool seenPoint = false;
        long binaryExponent = 0;
        int i = 0;
        for (; i < body.Length; i++)
        {
            byte b = body[i];
            if (b == (byte)'.' && !seenPoint)
            {
                seenPoint = true;
                continue;
            }

            int d = HexValue(b);
            if (d < 0)
            {
                break;
            }

            anyDigit = true;
            if (!mantissa.IsZero || d != 0)
            {
                mantissa = (mantissa << 4) + d;
                if (seenPoint)
                {
                    binaryExponent -= 4;
                }
            }
            else if (seenPoint)
            {
                binaryExponent -= 4;
            }
        }

        if (!anyDigit)
        {
            // "0x" alone: strtold reads "0" and stops at 'x'.
            return false;
        }

        if (i < body.Length && (body[i] | 0x20) == (byte)'p')
        {
            int j = i + 1;
            bool expNegative = false;
            if (j < body.Length && body[j] is (byte)'+' or (byte)'-')
            {
                expNegative = body[j] == (byte)'-';
                j++;
            }

            int start = j;
            long exponent = 0;
            for (; j < body.Length && (uint)(body[j] - '0') <= 9; j++)
            {
                if (exponent < 1_000_000)
                {
                    exponent = (exponent * 10) + (body[j] - '0');
                }
            }

            if (j == start)
            {
                return false;
            }

            binaryExponent += expNegative ? -exponent : exponent;
            i = j;
        }

        if (i != body.Length)
        {
            return false;
        }

        if (mantissa.IsZero)
        {
            value = new LongDouble(negative, 0, 0);
            return true;
        }

        long top = (long)mantissa.GetBitLength() + binaryExponent;
        if (top > 16384 || top < -16450)
        {
            return false;
        }

        value = binaryExponent >= 0
            ? RoundBig(negative, mantissa << (int)binaryExponent, BigInteger.One, 0)
            : RoundBig(negative, mantissa, BigInteger.One << (int)-binaryExponent, 0);
        return !value.IsInfinity && !value.IsZero;
    }

    // num/den·2^exponent (num, den > 0) rounded: reduce to a 66-bit quotient plus sticky, then Round.
    private static LongDouble RoundBig(bool negative, BigInteger num, BigInteger den, int exponent)
    {
        long shift = 66 - (num.GetBitLength() - den.GetBitLength());
        BigInteger q, r;
        if (shift >= 0)
        {
            q = BigInteger.DivRem(num << (int)shift, den, out r);
        }
        else
        {
            q = BigInteger.DivRem(num, den << (int)-shift, out r);
        }

        // q has 66 or 67 bits.
        return Round(negative, (UInt128)q, (int)(exponent - shift), sticky: !r.IsZero);
    }

    // magnitude·2^exponent (+ a nonzero fraction below its last bit when sticky) to 64 bits, nearest-even.
    private static LongDouble Round(bool negative, UInt128 magnitude, long exponent, bool sticky)
    {
        if (magnitude == 0)
        {
            return new LongDouble(negative, 0, 0);
        }

        int length = 128 - (int)UInt128.LeadingZeroCount(magnitude);
        long shift = length - 64;
        if (exponent + shift < MinExponent)
        {
            shift = MinExponent - exponent;
        }

        UInt128 kept;
        if (shift <= 0)
        {
            kept = magnitude << (int)-shift;
        }
        else if (shift > 128)
        {
            kept = 0; // below half the smallest subnormal
        }
        else
        {
            kept = shift == 128 ? 0 : magnitude >> (int)shift;
            UInt128 dropped = shift == 128 ? magnitude : magnitude - (kept << (int)shift);
            UInt128 half = UInt128.One << (int)(shift - 1);
            if (dropped > half || (dropped == half && (sticky || (kept & 1) != 0)))
            {
                kept++;
            }
        }

        long e = exponent + shift;
        if (kept >> 64 != 0)
        {
            kept >>= 1;
            e++;
        }

        if (e > MaxExponent)
        {
            return new LongDouble(negative, 0, 0, infinite: true);
        }

        return kept == 0 ? new LongDouble(negative, 0, 0) : new LongDouble(negative, (ulong)kept, (int)e);
    }

    private static ulong Pow10(long n)
    {
        ulong result = 1;
        for (long k = 0; k < n; k++)
        {
            result *= 10;
        }

        return result;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
}
