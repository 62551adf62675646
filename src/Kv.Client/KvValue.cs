using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Kv.Protocol;

namespace Kv.Client;

/// <summary>
/// A value sent to or read from the server: text, bytes or a number. Conversions keep what they
/// are given (a <c>byte[]</c> or memory is referenced, not copied; text is UTF-8 encoded straight
/// into the socket buffer when the command is written), so the caller must not change a buffer
/// until the command's task completes.
/// </summary>
public readonly struct KvValue : IEquatable<KvValue>
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly string? _text;
    private readonly long _number;
    private readonly Kind _kind;

    private KvValue(ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        _kind = Kind.Bytes;
    }

    private KvValue(string text)
    {
        _text = text;
        _kind = Kind.Text;
    }

    private KvValue(long number, Kind kind)
    {
        _number = number;
        _kind = kind;
    }

    private enum Kind : byte
    {
        Null,
        Bytes,
        Text,
        Int64,
        Double,
    }

    /// <summary>The absent value (a key or field that does not exist).</summary>
    public static KvValue Null => default;

    /// <summary>True for the absent value.</summary>
    public bool IsNull => _kind == Kind.Null;

    /// <summary>The value's bytes as the server stores them: no copy for byte values; text and numbers are encoded (allocating).</summary>
    public ReadOnlyMemory<byte> Memory => _kind switch
    {
        Kind.Bytes => _bytes,
        Kind.Null => default,
        _ => ToArray(),
    };

    /// <summary>Wraps a byte array without copying it; null gives <see cref="Null"/>.</summary>
    public static implicit operator KvValue(byte[]? value) => value is null ? default : new KvValue(value);

    /// <summary>Wraps memory without copying it.</summary>
    public static implicit operator KvValue(ReadOnlyMemory<byte> value) => new(value);

    /// <summary>Wraps memory without copying it.</summary>
    public static implicit operator KvValue(Memory<byte> value) => new(value);

    /// <summary>Text, sent as UTF-8; null gives <see cref="Null"/>.</summary>
    public static implicit operator KvValue(string? value) => value is null ? default : new KvValue(value);

    /// <summary>An integer, sent in decimal.</summary>
    public static implicit operator KvValue(long value) => new(value, Kind.Int64);

    /// <summary>An integer, sent in decimal.</summary>
    public static implicit operator KvValue(int value) => new(value, Kind.Int64);

    /// <summary>A double, sent in the shortest form that reads back to the same value (<c>inf</c>, <c>-inf</c> for infinities).</summary>
    public static implicit operator KvValue(double value) => new(BitConverter.DoubleToInt64Bits(value), Kind.Double);

    /// <summary>The value as UTF-8 text; null for <see cref="Null"/>.</summary>
    public static explicit operator string?(KvValue value) => value.IsNull ? null : value.ToString();

    /// <summary>The value's bytes: the wrapped array itself when the value wraps a whole array, else a copy; null for <see cref="Null"/>.</summary>
    public static explicit operator byte[]?(KvValue value) => value.IsNull ? null : value.ToArray();

    /// <summary>The value as a 64-bit integer.</summary>
    /// <exception cref="InvalidCastException">The value is null or not an integer.</exception>
    public static explicit operator long(KvValue value) => value.TryGetInt64(out long n)
        ? n
        : throw new InvalidCastException($"The value {value.Describe()} is not a 64-bit integer.");

    /// <summary>The value as a 64-bit integer, or null for <see cref="Null"/>.</summary>
    /// <exception cref="InvalidCastException">The value is not an integer.</exception>
    public static explicit operator long?(KvValue value) => value.IsNull ? null : (long)value;

    /// <summary>The value as a double.</summary>
    /// <exception cref="InvalidCastException">The value is null or not a number.</exception>
    public static explicit operator double(KvValue value) => value.TryGetDouble(out double d)
        ? d
        : throw new InvalidCastException($"The value {value.Describe()} is not a number.");

    /// <summary>The value as a double, or null for <see cref="Null"/>.</summary>
    /// <exception cref="InvalidCastException">The value is not a number.</exception>
    public static explicit operator double?(KvValue value) => value.IsNull ? null : (double)value;

    /// <summary>Byte-wise equality.</summary>
    public static bool operator ==(KvValue left, KvValue right) => left.Equals(right);

    /// <summary>Byte-wise inequality.</summary>
    public static bool operator !=(KvValue left, KvValue right) => !left.Equals(right);

    /// <summary>Parses the value as Redis parses an integer argument.</summary>
    public bool TryGetInt64(out long value)
    {
        switch (_kind)
        {
            case Kind.Int64:
                value = _number;
                return true;
            case Kind.Bytes:
                return RespNumber.TryParseInt64(_bytes.Span, out value);
            case Kind.Text:
                return long.TryParse(_text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
            case Kind.Double:
                double d = BitConverter.Int64BitsToDouble(_number);
                value = (long)d;
                return value == d;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Parses the value as Redis parses a double (<c>inf</c> accepted).</summary>
    public bool TryGetDouble(out double value)
    {
        switch (_kind)
        {
            case Kind.Double:
                value = BitConverter.Int64BitsToDouble(_number);
                return true;
            case Kind.Int64:
                value = _number;
                return true;
            case Kind.Bytes:
                return RespNumber.TryParseDouble(_bytes.Span, out value);
            case Kind.Text:
                return RespNumber.TryParseDouble(Encoding.UTF8.GetBytes(_text!), out value);
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>The value's bytes: the wrapped array itself when it wraps a whole array, else a new array.</summary>
    public byte[] ToArray()
    {
        switch (_kind)
        {
            case Kind.Bytes:
                if (MemoryMarshal.TryGetArray(_bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length)
                {
                    return segment.Array;
                }

                return _bytes.ToArray();
            case Kind.Null:
                return [];
            default:
                var buffer = new byte[EncodedLength];
                Encode(buffer);
                return buffer;
        }
    }

    /// <summary>The value as UTF-8 text ("" for <see cref="Null"/>).</summary>
    public override string ToString() => _kind switch
    {
        Kind.Text => _text!,
        Kind.Bytes => Encoding.UTF8.GetString(_bytes.Span),
        Kind.Null => "",
        _ => Encoding.UTF8.GetString(ToArray()),
    };

    /// <inheritdoc/>
    public bool Equals(KvValue other)
    {
        if (IsNull || other.IsNull)
        {
            return IsNull == other.IsNull;
        }

        if (_kind == other._kind && _kind is Kind.Int64 or Kind.Double)
        {
            return _number == other._number;
        }

        if (_kind == other._kind && _kind == Kind.Text)
        {
            return string.Equals(_text, other._text, StringComparison.Ordinal);
        }

        return AsSpan(out _).SequenceEqual(other.AsSpan(out _));
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KvValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(AsSpan(out _));
        return hash.ToHashCode();
    }

    /// <summary>The number of bytes the value takes on the wire.</summary>
    internal int EncodedLength => _kind switch
    {
        Kind.Bytes => _bytes.Length,
        Kind.Text => Encoding.UTF8.GetByteCount(_text!),
        Kind.Int64 => FormatInt64(_number, stackalloc byte[24]),
        Kind.Double => FormatDouble(BitConverter.Int64BitsToDouble(_number), stackalloc byte[40]),
        _ => 0,
    };

    /// <summary>Writes the value as one RESP bulk string.</summary>
    internal void WriteBulk(IBufferWriter<byte> output)
    {
        switch (_kind)
        {
            case Kind.Bytes:
                WriteBulk(output, _bytes.Span);
                return;
            case Kind.Text:
                WriteText(output, _text!);
                return;
            case Kind.Int64:
            {
                Span<byte> digits = stackalloc byte[24];
                WriteBulk(output, digits[..FormatInt64(_number, digits)]);
                return;
            }

            case Kind.Double:
            {
                Span<byte> digits = stackalloc byte[40];
                WriteBulk(output, digits[..FormatDouble(BitConverter.Int64BitsToDouble(_number), digits)]);
                return;
            }

            default:
                // A null argument is sent as the empty string, as redis-cli sends "".
                WriteBulk(output, default);
                return;
        }
    }

    /// <summary>Writes one RESP bulk string.</summary>
    internal static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteHeader(output, (byte)'$', value.Length);
        while (!value.IsEmpty)
        {
            var span = output.GetSpan();
            int take = Math.Min(span.Length, value.Length);
            value[..take].CopyTo(span);
            output.Advance(take);
            value = value[take..];
        }

        WriteCrlf(output);
    }

    /// <summary>Writes a RESP header line such as <c>*3\r\n</c> or <c>$5\r\n</c>.</summary>
    internal static void WriteHeader(IBufferWriter<byte> output, byte marker, long count)
    {
        var span = output.GetSpan(24);
        span[0] = marker;
        count.TryFormat(span[1..], out int n, default, CultureInfo.InvariantCulture);
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        output.Advance(n + 3);
    }

    private static void WriteCrlf(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        output.Advance(2);
    }

    private static void WriteText(IBufferWriter<byte> output, string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        WriteHeader(output, (byte)'$', length);
        if (length <= 256 * 1024)
        {
            var span = output.GetSpan(length);
            Encoding.UTF8.GetBytes(text, span);
            output.Advance(length);
        }
        else
        {
            // Large text goes through the encoder in chunks: no buffer of the whole value.
            var encoder = Encoding.UTF8.GetEncoder();
            var chars = text.AsSpan();
            while (!chars.IsEmpty)
            {
                var span = output.GetSpan(8192);
                encoder.Convert(chars, span, flush: true, out int used, out int written, out _);
                output.Advance(written);
                chars = chars[used..];
            }
        }

        WriteCrlf(output);
    }

    private static int FormatInt64(long value, Span<byte> destination)
    {
        value.TryFormat(destination, out int n, default, CultureInfo.InvariantCulture);
        return n;
    }

    private static int FormatDouble(double value, Span<byte> destination)
    {
        if (double.IsInfinity(value))
        {
            var text = value > 0 ? "inf"u8 : "-inf"u8;
            text.CopyTo(destination);
            return text.Length;
        }

        value.TryFormat(destination, out int n, "R", CultureInfo.InvariantCulture);
        return n;
    }

    private void Encode(Span<byte> destination)
    {
        switch (_kind)
        {
            case Kind.Text:
                Encoding.UTF8.GetBytes(_text!, destination);
                break;
            case Kind.Int64:
                FormatInt64(_number, destination);
                break;
            case Kind.Double:
                FormatDouble(BitConverter.Int64BitsToDouble(_number), destination);
                break;
            case Kind.Bytes:
                _bytes.Span.CopyTo(destination);
                break;
        }
    }

    private ReadOnlySpan<byte> AsSpan(out byte[]? encoded)
    {
        encoded = null;
        if (_kind == Kind.Bytes)
        {
            return _bytes.Span;
        }

        if (_kind == Kind.Null)
        {
            return default;
        }

        encoded = ToArray();
        return encoded;
    }

    private string Describe() => IsNull ? "(nil)" : $"\"{ToString()}\"";
}
