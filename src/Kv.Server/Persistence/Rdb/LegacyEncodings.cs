using System.Buffers.Binary;
using Kv.Protocol;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Redis's ziplist (ziplist.c), which RDB files before Redis 7.0 used for small lists, hashes and sorted
/// sets and for quicklist nodes; Redis 7.0 still loads them (converting to listpacks), so kv-server does.
/// Header: total bytes, tail offset (u32 LE each), count (u16 LE); each entry: previous length (1 byte, or
/// 0xFE and 4 bytes), encoding, data; 0xFF ends it.
/// </summary>
internal ref struct ZiplistReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ZiplistReader(ReadOnlySpan<byte> data)
    {
        if (data.Length < 11 || BinaryPrimitives.ReadUInt32LittleEndian(data) != (uint)data.Length || data[^1] != 0xFF)
        {
            throw new InvalidDataException("Ziplist integrity check failed.");
        }

        _data = data;
        _position = 10;
    }

    public bool NextBytes(Span<byte> scratch, out ReadOnlySpan<byte> value)
    {
        value = default;
        var d = _data;
        int p = _position;
        if (p >= d.Length)
        {
            throw new InvalidDataException("Ziplist integrity check failed: no end byte.");
        }

        if (d[p] == 0xFF)
        {
            return false;
        }

        p += d[p] < 254 ? 1 : 5;
        Need(p, 1);
        byte b = d[p];
        long integer;
        switch (b >> 6)
        {
            case 0:
                value = Slice(p + 1, b & 0x3F);
                _position = p + 1 + value.Length;
                return true;
            case 1:
                Need(p, 2);
                value = Slice(p + 2, ((b & 0x3F) << 8) | d[p + 1]);
                _position = p + 2 + value.Length;
                return true;
            case 2:
            {
                Need(p, 5);
                uint length = BinaryPrimitives.ReadUInt32BigEndian(d[(p + 1)..]);
                if (length > int.MaxValue - 5)
                {
                    throw new InvalidDataException("Ziplist integrity check failed: string too long.");
                }

                value = Slice(p + 5, (int)length);
                _position = p + 5 + value.Length;
                return true;
            }
        }

        int size;
        switch (b)
        {
            case 0xC0:
                Need(p, 3);
                integer = BinaryPrimitives.ReadInt16LittleEndian(d[(p + 1)..]);
                size = 3;
                break;
            case 0xD0:
                Need(p, 5);
                integer = BinaryPrimitives.ReadInt32LittleEndian(d[(p + 1)..]);
                size = 5;
                break;
            case 0xE0:
                Need(p, 9);
                integer = BinaryPrimitives.ReadInt64LittleEndian(d[(p + 1)..]);
                size = 9;
                break;
            case 0xF0:
            {
                Need(p, 4);
                int v = d[p + 1] | (d[p + 2] << 8) | (d[p + 3] << 16);
                integer = v >= 1 << 23 ? v - (1 << 24) : v;
                size = 4;
                break;
            }

            case 0xFE:
                Need(p, 2);
                integer = (sbyte)d[p + 1];
                size = 2;
                break;
            case >= 0xF1 and <= 0xFD:
                integer = (b & 0x0F) - 1;
                size = 1;
                break;
            default:
                throw new InvalidDataException("Ziplist integrity check failed: unknown entry encoding.");
        }

        _position = p + size;
        int n = RespNumber.FormatInt64(integer, scratch);
        value = scratch[..n];
        return true;
    }

    private readonly void Need(int p, int size)
    {
        if (p + size > _data.Length - 1)
        {
            throw new InvalidDataException("Ziplist integrity check failed: entry past the end.");
        }
    }

    private readonly ReadOnlySpan<byte> Slice(int start, int length)
    {
        if ((uint)start + (uint)length >= (uint)_data.Length)
        {
            throw new InvalidDataException("Ziplist integrity check failed: string past the end.");
        }

        return _data.Slice(start, length);
    }
}

/// <summary>Redis's intset (intset.c): encoding width (2, 4 or 8; u32 LE), count (u32 LE), sorted little-endian integers.</summary>
internal static class Intset
{
    /// <summary>Appends the intset blob (no length: the caller writes it as an RDB string).</summary>
    public static void Write(RdbBuffer output, ReadOnlySpan<long> sorted)
    {
        int width = 2;
        foreach (long v in sorted)
        {
            if (v is < short.MinValue or > short.MaxValue)
            {
                width = v is < int.MinValue or > int.MaxValue ? 8 : Math.Max(width, 4);
                if (width == 8)
                {
                    break;
                }
            }
        }

        int size = 8 + (width * sorted.Length);
        var span = output.GetSpan(size);
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)width);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], (uint)sorted.Length);
        int at = 8;
        foreach (long v in sorted)
        {
            switch (width)
            {
                case 2:
                    BinaryPrimitives.WriteInt16LittleEndian(span[at..], (short)v);
                    break;
                case 4:
                    BinaryPrimitives.WriteInt32LittleEndian(span[at..], (int)v);
                    break;
                default:
                    BinaryPrimitives.WriteInt64LittleEndian(span[at..], v);
                    break;
            }

            at += width;
        }

        output.Advance(size);
    }

    /// <summary>The integers of an intset blob (intsetValidateIntegrity: width, size, strictly ascending).</summary>
    public static long[] Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
        {
            throw new InvalidDataException("Intset integrity check failed.");
        }

        uint width = BinaryPrimitives.ReadUInt32LittleEndian(data);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (width is not (2 or 4 or 8) || 8 + ((long)count * width) != data.Length || count == 0)
        {
            throw new InvalidDataException("Intset integrity check failed.");
        }

        var values = new long[count];
        for (int i = 0; i < count; i++)
        {
            var at = data[(8 + (i * (int)width))..];
            values[i] = width == 2 ? BinaryPrimitives.ReadInt16LittleEndian(at) : width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(at) : BinaryPrimitives.ReadInt64LittleEndian(at);
            if (i > 0 && values[i] <= values[i - 1])
            {
                throw new InvalidDataException("Intset integrity check failed: not sorted.");
            }
        }

        return values;
    }
}

/// <summary>
/// Redis's zipmap (zipmap.c), the hash encoding of RDB files from Redis 2.x that Redis 7.0 still loads:
/// a count byte, then entries (length, key, length, free byte, value, free bytes), 0xFF at the end.
/// A length is one byte below 254, else 254 and 4 bytes (little endian).
/// </summary>
internal static class Zipmap
{
    public static List<(byte[] Field, byte[] Value)> Read(ReadOnlySpan<byte> data)
    {
        var pairs = new List<(byte[], byte[])>();
        int p = 1;
        while (true)
        {
            if (p >= data.Length)
            {
                throw new InvalidDataException("Zipmap integrity check failed.");
            }

            if (data[p] == 0xFF)
            {
                return pairs;
            }

            var field = ReadString(data, ref p, false);
            var value = ReadString(data, ref p, true);
            pairs.Add((field, value));
        }
    }

    private static byte[] ReadString(ReadOnlySpan<byte> data, ref int p, bool withFree)
    {
        if (p >= data.Length)
        {
            throw new InvalidDataException("Zipmap integrity check failed.");
        }

        long length = data[p];
        if (length >= 254)
        {
            if (length == 255 || p + 5 > data.Length)
            {
                throw new InvalidDataException("Zipmap integrity check failed.");
            }

            length = BinaryPrimitives.ReadUInt32LittleEndian(data[(p + 1)..]);
            p += 5;
        }
        else
        {
            p++;
        }

        int free = 0;
        if (withFree)
        {
            if (p >= data.Length)
            {
                throw new InvalidDataException("Zipmap integrity check failed.");
            }

            free = data[p++];
        }

        if (p + length + free > data.Length)
        {
            throw new InvalidDataException("Zipmap integrity check failed.");
        }

        var bytes = data.Slice(p, (int)length).ToArray();
        p += (int)length + free;
        return bytes;
    }
}
