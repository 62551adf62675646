using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Kv.Protocol;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Reads RDB primitives from a stream (a file or a DUMP payload) through a buffer, keeping the running
/// CRC64 of the bytes consumed. Every failure is an <see cref="InvalidDataException"/> naming the byte offset.
/// </summary>
internal sealed class RdbReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private readonly long _streamLength;
    private int _position;
    private int _end;
    private int _crcFrom;
    private long _consumedBefore;
    private ulong _crc;

    public RdbReader(Stream stream, int bufferSize = 1 << 16)
    {
        _stream = stream;
        _buffer = new byte[bufferSize];
        _streamLength = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
    }

    /// <summary>Offset of the next byte to read.</summary>
    public long Offset => _consumedBefore + _position;

    /// <summary>What the error messages call the input ("RDB file x.rdb" or "DUMP payload").</summary>
    public string Source { get; init; } = "RDB file";

    /// <summary>CRC64 of every byte consumed so far.</summary>
    public ulong Checksum
    {
        get
        {
            _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _position - _crcFrom));
            _crcFrom = _position;
            return _crc;
        }
    }

    public InvalidDataException Corrupt(string what) => new($"{Source} is corrupt at byte {Offset}: {what}.");

    public byte ReadByte()
    {
        if (_position == _end && !Fill(1))
        {
            throw Truncated();
        }

        return _buffer[_position++];
    }

    public void ReadExact(Span<byte> destination)
    {
        while (destination.Length > 0)
        {
            if (_position == _end && !Fill(1))
            {
                throw Truncated();
            }

            int n = Math.Min(destination.Length, _end - _position);
            _buffer.AsSpan(_position, n).CopyTo(destination);
            _position += n;
            destination = destination[n..];
        }
    }

    /// <summary>rdbLoadLen: a length, or with <paramref name="encoded"/> an RDB_ENCVAL string encoding.</summary>
    public ulong ReadLength(out bool encoded)
    {
        encoded = false;
        byte first = ReadByte();
        switch (first >> 6)
        {
            case RdbFormat.Len6Bit:
                return (ulong)(first & 0x3F);
            case RdbFormat.Len14Bit:
                return ((ulong)(first & 0x3F) << 8) | ReadByte();
            case RdbFormat.LenEncoded:
                encoded = true;
                return (ulong)(first & 0x3F);
        }

        Span<byte> bytes = stackalloc byte[8];
        if (first == RdbFormat.Len32Bit)
        {
            ReadExact(bytes[..4]);
            return BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }

        if (first == RdbFormat.Len64Bit)
        {
            ReadExact(bytes);
            return BinaryPrimitives.ReadUInt64BigEndian(bytes);
        }

        throw Corrupt($"unknown length encoding {first}");
    }

    public ulong ReadLength()
    {
        ulong length = ReadLength(out bool encoded);
        if (encoded)
        {
            throw Corrupt("a string encoding where a length belongs");
        }

        return length;
    }

    /// <summary>A count of elements (refusing impossible ones before anything is allocated for them).</summary>
    public int ReadCount()
    {
        ulong count = ReadLength();
        if ((long)count > Remaining)
        {
            throw Truncated();
        }

        if (count > int.MaxValue)
        {
            throw Corrupt($"impossible element count {count}");
        }

        return (int)count;
    }

    /// <summary>rdbGenericLoadStringObject: plain, integer-encoded or LZF-compressed.</summary>
    public byte[] ReadString()
    {
        ulong length = ReadLength(out bool encoded);
        if (encoded)
        {
            if ((int)length == RdbFormat.EncLzf)
            {
                return ReadCompressed();
            }

            Span<byte> text = stackalloc byte[20];
            return text[..RespNumber.FormatInt64(ReadEncodedInteger((int)length), text)].ToArray();
        }

        if ((long)length > Remaining || length > (ulong)Array.MaxLength)
        {
            throw Truncated();
        }

        var result = GC.AllocateUninitializedArray<byte>((int)length);
        ReadExact(result);
        return result;
    }

    // A string stored as an integer (RDB_ENC_INT8/16/32), little-endian.
    private long ReadEncodedInteger(int encoding)
    {
        Span<byte> bytes = stackalloc byte[4];
        switch (encoding)
        {
            case RdbFormat.EncInt8:
                return (sbyte)ReadByte();
            case RdbFormat.EncInt16:
                ReadExact(bytes[..2]);
                return BinaryPrimitives.ReadInt16LittleEndian(bytes);
            case RdbFormat.EncInt32:
                ReadExact(bytes);
                return BinaryPrimitives.ReadInt32LittleEndian(bytes);
            default:
                throw Corrupt($"unknown string encoding {encoding}");
        }
    }

    /// <summary>
    /// Reads a string into <paramref name="scratch"/> (grown when too small) and returns its bytes
    /// there, valid until the next call with the same buffer: the loader's keys and string values
    /// cost no array of their own before the keyspace stores them.
    /// </summary>
    public ReadOnlySpan<byte> ReadString(ref byte[] scratch)
    {
        ulong length = ReadLength(out bool encoded);
        if (encoded)
        {
            if ((int)length == RdbFormat.EncLzf)
            {
                return ReadCompressed();
            }

            long value = ReadEncodedInteger((int)length);
            if (scratch.Length < 20)
            {
                scratch = new byte[64];
            }

            return scratch.AsSpan(0, RespNumber.FormatInt64(value, scratch));
        }

        if ((long)length > Remaining || length > (ulong)Array.MaxLength)
        {
            throw Truncated();
        }

        if ((ulong)scratch.Length < length)
        {
            scratch = GC.AllocateUninitializedArray<byte>((int)Math.Max(length, (ulong)scratch.Length * 2));
        }

        var result = scratch.AsSpan(0, (int)length);
        if (_end - _position >= result.Length)
        {
            // The common case, a string inside the buffer: one copy.
            _buffer.AsSpan(_position, result.Length).CopyTo(result);
            _position += result.Length;
        }
        else
        {
            ReadExact(result);
        }

        return result;
    }

    private byte[] ReadCompressed()
    {
        ulong compressed = ReadLength();
        ulong original = ReadLength();
        if ((long)compressed > Remaining)
        {
            throw Truncated();
        }

        if (original > (ulong)Array.MaxLength || compressed > original + 64)
        {
            throw Corrupt("invalid LZF lengths");
        }

        var input = GC.AllocateUninitializedArray<byte>((int)compressed);
        ReadExact(input);
        var output = GC.AllocateUninitializedArray<byte>((int)original);
        if (!Lzf.TryDecompress(input, output))
        {
            throw Corrupt("invalid LZF compressed string");
        }

        return output;
    }

    /// <summary>rdbLoadDoubleValue (RDB_TYPE_ZSET): a length byte then ASCII; 253 nan, 254 inf, 255 -inf.</summary>
    public double ReadTextDouble()
    {
        byte length = ReadByte();
        switch (length)
        {
            case 253:
                return double.NaN;
            case 254:
                return double.PositiveInfinity;
            case 255:
                return double.NegativeInfinity;
        }

        Span<byte> text = stackalloc byte[255];
        ReadExact(text[..length]);
        if (!double.TryParse(Encoding.ASCII.GetString(text[..length]), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw Corrupt("invalid double value");
        }

        return value;
    }

    public double ReadBinaryDouble()
    {
        Span<byte> bytes = stackalloc byte[8];
        ReadExact(bytes);
        return BinaryPrimitives.ReadDoubleLittleEndian(bytes);
    }

    public long ReadMilliseconds()
    {
        Span<byte> bytes = stackalloc byte[8];
        ReadExact(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    public int ReadSeconds()
    {
        Span<byte> bytes = stackalloc byte[4];
        ReadExact(bytes);
        return BinaryPrimitives.ReadInt32LittleEndian(bytes);
    }

    /// <summary>Bytes left in the input (long.MaxValue when its length is unknown).</summary>
    public long Remaining => _streamLength == long.MaxValue ? long.MaxValue : _streamLength - Offset;

    private InvalidDataException Truncated() => new($"{Source} is truncated: unexpected end of data at byte {Offset} (Redis: \"Short read or OOM loading DB\"). The file was cut short; restore it from a backup.");

    private bool Fill(int needed)
    {
        _crc = Crc64.Update(_crc, _buffer.AsSpan(_crcFrom, _position - _crcFrom));
        int kept = _end - _position;
        _buffer.AsSpan(_position, kept).CopyTo(_buffer);
        _consumedBefore += _position;
        _position = 0;
        _crcFrom = 0;
        _end = kept;
        while (_end < needed)
        {
            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                return false;
            }

            _end += n;
        }

        return true;
    }
}
