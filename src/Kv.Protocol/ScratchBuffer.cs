namespace Kv.Protocol;

/// <summary>A reusable growable byte buffer (for unescaped inline arguments and for staging split frames).</summary>
public sealed class ScratchBuffer
{
    private const int ShrinkAbove = 1024 * 1024;
    private byte[] _buffer;

    /// <summary>Creates a buffer with <paramref name="capacity"/> bytes.</summary>
    public ScratchBuffer(int capacity = 256) => _buffer = new byte[capacity];

    /// <summary>Bytes written.</summary>
    public int Length { get; private set; }

    /// <summary>The backing array; valid until the next write that grows it.</summary>
    public byte[] Array => _buffer;

    /// <summary>What has been written.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    /// <summary>Appends one byte.</summary>
    public void Append(byte value)
    {
        if (Length == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[Length++] = value;
    }

    /// <summary>Appends bytes.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Length + bytes.Length > _buffer.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    /// <summary>Forgets the content; gives back memory above 1 MB.</summary>
    public void Clear()
    {
        Length = 0;
        if (_buffer.Length > ShrinkAbove)
        {
            _buffer = new byte[256];
        }
    }

    private void Grow(int extra)
    {
        long wanted = Math.Max((long)_buffer.Length * 2, (long)Length + extra);
        System.Array.Resize(ref _buffer, (int)Math.Min(wanted, System.Array.MaxLength));
    }
}
