using System.Buffers.Binary;
using Kv.Protocol;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Redis's listpack (listpack.c), built for RDB files and read from them: a 6-byte header (total bytes,
/// element count, both little endian; count 65535 = unknown), elements, and an 0xFF end byte. Each
/// element is its encoding and data followed by a back length; a string that reads as an integer is
/// stored as one (lpStringToInt64), as Redis's lpAppend does.
/// </summary>
internal sealed class ListpackBuilder
{
    private const int HeaderSize = 6;
    private readonly RdbBuffer _buffer = new(512);
    private int _count;

    public ListpackBuilder() => Reset();

    public int Count => _count;

    /// <summary>Bytes so far, with the end byte.</summary>
    public int Bytes => _buffer.Length + 1;

    public void Reset()
    {
        _buffer.Clear();
        _buffer.GetSpan(HeaderSize)[..HeaderSize].Clear();
        _buffer.Advance(HeaderSize);
        _count = 0;
    }

    /// <summary>Bytes an element takes (encoding, data, back length), for node-size decisions.</summary>
    public static int SizeOf(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 20 && RespNumber.TryParseInt64(value, out long number))
        {
            int size = IntegerSize(number);
            return size + BacklenSize(size);
        }

        int encoded = StringHeaderSize(value.Length) + value.Length;
        return encoded + BacklenSize(encoded);
    }

    public void Append(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 20 && RespNumber.TryParseInt64(value, out long number))
        {
            AppendInteger(number);
            return;
        }

        int header = StringHeaderSize(value.Length);
        var span = _buffer.GetSpan(header + value.Length + 5);
        if (value.Length < 64)
        {
            span[0] = (byte)(0x80 | value.Length);
        }
        else if (value.Length < 4096)
        {
            span[0] = (byte)(0xE0 | (value.Length >> 8));
            span[1] = (byte)value.Length;
        }
        else
        {
            span[0] = 0xF0;
            BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)value.Length);
        }

        value.CopyTo(span[header..]);
        int encoded = header + value.Length;
        int backlen = WriteBacklen(span[encoded..], encoded);
        _buffer.Advance(encoded + backlen);
        _count++;
    }

    public void AppendInteger(long value)
    {
        var span = _buffer.GetSpan(14);
        int size;
        if (value is >= 0 and <= 127)
        {
            span[0] = (byte)value;
            size = 1;
        }
        else if (value is >= -4096 and <= 4095)
        {
            long v = value < 0 ? (1 << 13) + value : value;
            span[0] = (byte)(0xC0 | (v >> 8));
            span[1] = (byte)v;
            size = 2;
        }
        else if (value is >= short.MinValue and <= short.MaxValue)
        {
            span[0] = 0xF1;
            BinaryPrimitives.WriteInt16LittleEndian(span[1..], (short)value);
            size = 3;
        }
        else if (value is >= -8388608 and <= 8388607)
        {
            long v = value < 0 ? (1 << 24) + value : value;
            span[0] = 0xF2;
            span[1] = (byte)v;
            span[2] = (byte)(v >> 8);
            span[3] = (byte)(v >> 16);
            size = 4;
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            span[0] = 0xF3;
            BinaryPrimitives.WriteInt32LittleEndian(span[1..], (int)value);
            size = 5;
        }
        else
        {
            span[0] = 0xF4;
            BinaryPrimitives.WriteInt64LittleEndian(span[1..], value);
            size = 9;
        }

        int backlen = WriteBacklen(span[size..], size);
        _buffer.Advance(size + backlen);
        _count++;
    }

    /// <summary>Finishes the listpack (header and end byte) and returns its bytes, valid until the next change.</summary>
    public ReadOnlySpan<byte> Finish()
    {
        _buffer.WriteByte(0xFF);
        var all = _buffer.Written;
        BinaryPrimitives.WriteUInt32LittleEndian(all, (uint)all.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(all[4..], (ushort)Math.Min(_count, 65535));
        return all;
    }

    private static int IntegerSize(long value) => value switch
    {
        >= 0 and <= 127 => 1,
        >= -4096 and <= 4095 => 2,
        >= short.MinValue and <= short.MaxValue => 3,
        >= -8388608 and <= 8388607 => 4,
        >= int.MinValue and <= int.MaxValue => 5,
        _ => 9,
    };

    private static int StringHeaderSize(int length) => length < 64 ? 1 : length < 4096 ? 2 : 5;

    private static int BacklenSize(int length) => length <= 127 ? 1 : length < 16383 ? 2 : length < 2097151 ? 3 : length < 268435455 ? 4 : 5;

    // lpEncodeBacklen: the element's length in 7-bit groups, most significant first, all but the first with the top bit set.
    private static int WriteBacklen(Span<byte> span, int length)
    {
        int size = BacklenSize(length);
        for (int i = size - 1; i >= 0; i--)
        {
            span[i] = (byte)((length & 127) | (i == 0 ? 0 : 128));
            length >>= 7;
        }

        return size;
    }
}

/// <summary>Reads the elements of a listpack front to back, checking every bound (the bytes come from a file or a client).</summary>
internal ref struct ListpackReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ListpackReader(ReadOnlySpan<byte> data)
    {
        // lpValidateFirst: the header's total matches, and the last byte is the end marker.
        if (data.Length < 7 || BinaryPrimitives.ReadUInt32LittleEndian(data) != (uint)data.Length || data[^1] != 0xFF)
        {
            throw new InvalidDataException("Listpack integrity check failed.");
        }

        _data = data;
        _position = 6;
        DeclaredCount = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
    }

    /// <summary>The header's count (65535 when the listpack did not know).</summary>
    public int DeclaredCount { get; }

    /// <summary>
    /// The next element: a string (<paramref name="text"/>) or an integer (<paramref name="isInteger"/>,
    /// <paramref name="integer"/>). False at the end byte.
    /// </summary>
    public bool Next(out ReadOnlySpan<byte> text, out long integer, out bool isInteger)
    {
        text = default;
        integer = 0;
        isInteger = false;
        var d = _data;
        int p = _position;
        if (p >= d.Length)
        {
            throw new InvalidDataException("Listpack integrity check failed: no end byte.");
        }

        byte b = d[p];
        if (b == 0xFF)
        {
            return false;
        }

        int encoded;
        if ((b & 0x80) == 0)
        {
            integer = b;
            isInteger = true;
            encoded = 1;
        }
        else if ((b & 0xC0) == 0x80)
        {
            int length = b & 0x3F;
            text = Slice(p + 1, length);
            encoded = 1 + length;
        }
        else if ((b & 0xE0) == 0xC0)
        {
            Need(p, 2);
            long v = ((b & 0x1F) << 8) | d[p + 1];
            integer = v >= 1 << 12 ? v - (1 << 13) : v;
            isInteger = true;
            encoded = 2;
        }
        else if ((b & 0xF0) == 0xE0)
        {
            Need(p, 2);
            int length = ((b & 0x0F) << 8) | d[p + 1];
            text = Slice(p + 2, length);
            encoded = 2 + length;
        }
        else
        {
            switch (b)
            {
                case 0xF0:
                {
                    Need(p, 5);
                    uint length = BinaryPrimitives.ReadUInt32LittleEndian(d[(p + 1)..]);
                    if (length > int.MaxValue - 5)
                    {
                        throw new InvalidDataException("Listpack integrity check failed: string too long.");
                    }

                    text = Slice(p + 5, (int)length);
                    encoded = 5 + (int)length;
                    break;
                }

                case 0xF1:
                    Need(p, 3);
                    integer = BinaryPrimitives.ReadInt16LittleEndian(d[(p + 1)..]);
                    isInteger = true;
                    encoded = 3;
                    break;
                case 0xF2:
                {
                    Need(p, 4);
                    int v = d[p + 1] | (d[p + 2] << 8) | (d[p + 3] << 16);
                    integer = v >= 1 << 23 ? v - (1 << 24) : v;
                    isInteger = true;
                    encoded = 4;
                    break;
                }

                case 0xF3:
                    Need(p, 5);
                    integer = BinaryPrimitives.ReadInt32LittleEndian(d[(p + 1)..]);
                    isInteger = true;
                    encoded = 5;
                    break;
                case 0xF4:
                    Need(p, 9);
                    integer = BinaryPrimitives.ReadInt64LittleEndian(d[(p + 1)..]);
                    isInteger = true;
                    encoded = 9;
                    break;
                default:
                    throw new InvalidDataException("Listpack integrity check failed: unknown element encoding.");
            }
        }

        int backlen = encoded <= 127 ? 1 : encoded < 16383 ? 2 : encoded < 2097151 ? 3 : encoded < 268435455 ? 4 : 5;
        _position = p + encoded + backlen;
        if (_position >= d.Length)
        {
            throw new InvalidDataException("Listpack integrity check failed: element past the end.");
        }

        return true;
    }

    /// <summary>The next element as bytes (an integer as its decimal text, into <paramref name="scratch"/>).</summary>
    public bool NextBytes(Span<byte> scratch, out ReadOnlySpan<byte> value)
    {
        if (!Next(out value, out long integer, out bool isInteger))
        {
            return false;
        }

        if (isInteger)
        {
            int n = RespNumber.FormatInt64(integer, scratch);
            value = scratch[..n];
        }

        return true;
    }

    private readonly void Need(int p, int size)
    {
        if (p + size > _data.Length)
        {
            throw new InvalidDataException("Listpack integrity check failed: element past the end.");
        }
    }

    private readonly ReadOnlySpan<byte> Slice(int start, int length)
    {
        if ((uint)start + (uint)length > (uint)_data.Length)
        {
            throw new InvalidDataException("Listpack integrity check failed: string past the end.");
        }

        return _data.Slice(start, length);
    }
}
