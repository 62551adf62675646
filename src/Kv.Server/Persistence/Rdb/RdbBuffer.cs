using System.Buffers.Binary;
using Kv.Protocol;

namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// A growable byte buffer with RDB's primitives: lengths, strings (integer-encoded or LZF-compressed as
/// Redis's rdbSaveRawString chooses), binary doubles, millisecond times. One writer for files, DUMP
/// payloads and snapshot batches.
/// </summary>
internal sealed class RdbBuffer
{
    private byte[] _data;
    private int _length;

    public RdbBuffer(int capacity = 256) => _data = new byte[Math.Max(16, capacity)];

    /// <summary>rdbcompression: strings longer than 20 bytes are LZF-compressed when that saves more than 4 bytes.</summary>
    public bool Compress { get; set; }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _data.AsSpan(0, _length);

    /// <summary>The bytes written so far, writable (to patch a header).</summary>
    public Span<byte> Written => _data.AsSpan(0, _length);

    public void Clear() => _length = 0;

    /// <summary>Drops bytes written after <paramref name="length"/> (undoes a partly written record).</summary>
    public void Truncate(int length) => _length = length;

    public Span<byte> GetSpan(int size)
    {
        if (_length + size > _data.Length)
        {
            Array.Resize(ref _data, (int)Math.Min(Array.MaxLength, Math.Max((long)_data.Length * 2, (long)_length + size)));
        }

        return _data.AsSpan(_length);
    }

    public void Advance(int count) => _length += count;

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        _length++;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _length += bytes.Length;
    }

    /// <summary>rdbSaveLen: 6 bits, 14 bits (big endian), 32 or 64 bits (big endian after a marker byte).</summary>
    public void WriteLength(ulong length)
    {
        var span = GetSpan(9);
        if (length < 1 << 6)
        {
            span[0] = (byte)length;
            _length += 1;
        }
        else if (length < 1 << 14)
        {
            span[0] = (byte)(0x40 | (length >> 8));
            span[1] = (byte)length;
            _length += 2;
        }
        else if (length <= uint.MaxValue)
        {
            span[0] = RdbFormat.Len32Bit;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            _length += 5;
        }
        else
        {
            span[0] = RdbFormat.Len64Bit;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], length);
            _length += 9;
        }
    }

    /// <summary>rdbSaveMillisecondTime: 8 bytes, little endian.</summary>
    public void WriteMilliseconds(long ms)
    {
        BinaryPrimitives.WriteInt64LittleEndian(GetSpan(8), ms);
        _length += 8;
    }

    /// <summary>rdbSaveBinaryDoubleValue: the IEEE 754 bytes, little endian.</summary>
    public void WriteBinaryDouble(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(GetSpan(8), value);
        _length += 8;
    }

    /// <summary>
    /// rdbSaveRawString: up to 11 bytes that read as an integer in 32 bits are stored as one; longer than
    /// 20 bytes are LZF-compressed when <see cref="Compress"/> and it saves more than 4 bytes; else length and bytes.
    /// </summary>
    public void WriteString(ReadOnlySpan<byte> value)
    {
        if (value.Length <= 11 && RespNumber.TryParseInt64(value, out long number) && TryWriteEncodedInteger(number))
        {
            return;
        }

        if (Compress && value.Length > 20 && TryWriteCompressed(value))
        {
            return;
        }

        WriteLength((ulong)value.Length);
        WriteRaw(value);
    }

    /// <summary>rdbSaveLongLongAsStringObject: an integer value, encoded when it fits 32 bits, else as its text.</summary>
    public void WriteIntegerString(long value)
    {
        if (TryWriteEncodedInteger(value))
        {
            return;
        }

        Span<byte> text = stackalloc byte[20];
        int n = RespNumber.FormatInt64(value, text);
        WriteLength((ulong)n);
        WriteRaw(text[..n]);
    }

    private bool TryWriteEncodedInteger(long value)
    {
        var span = GetSpan(5);
        if (value is >= sbyte.MinValue and <= sbyte.MaxValue)
        {
            span[0] = (RdbFormat.LenEncoded << 6) | RdbFormat.EncInt8;
            span[1] = (byte)(sbyte)value;
            _length += 2;
        }
        else if (value is >= short.MinValue and <= short.MaxValue)
        {
            span[0] = (RdbFormat.LenEncoded << 6) | RdbFormat.EncInt16;
            BinaryPrimitives.WriteInt16LittleEndian(span[1..], (short)value);
            _length += 3;
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            span[0] = (RdbFormat.LenEncoded << 6) | RdbFormat.EncInt32;
            BinaryPrimitives.WriteInt32LittleEndian(span[1..], (int)value);
            _length += 5;
        }
        else
        {
            return false;
        }

        return true;
    }

    private bool TryWriteCompressed(ReadOnlySpan<byte> value)
    {
        // rdbSaveLzfStringObject: worth it only when at least 4 bytes are saved (out buffer of len - 4).
        int start = _length;
        int room = value.Length - 4;
        var span = GetSpan(1 + 9 + 9 + room);
        span[0] = (RdbFormat.LenEncoded << 6) | RdbFormat.EncLzf;
        // Compress after the worst-case header, then move the bytes down behind the real header.
        int compressed = Lzf.Compress(value, span.Slice(19, room));
        if (compressed == 0)
        {
            return false;
        }

        _length = start + 1;
        WriteLength((ulong)compressed);
        WriteLength((ulong)value.Length);
        _data.AsSpan(start + 19, compressed).CopyTo(_data.AsSpan(_length));
        _length += compressed;
        return true;
    }
}
