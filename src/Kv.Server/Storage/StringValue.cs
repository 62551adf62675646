using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>
/// A string grown in place by APPEND, SETRANGE or SETBIT: spare capacity makes repeated appends
/// amortized O(1), as Redis's sds does. OBJECT ENCODING reports it as <c>raw</c>.
/// </summary>
internal sealed class MutableString
{
    public MutableString(ReadOnlySpan<byte> initial, int capacity)
    {
        Buffer = new byte[Math.Max(capacity, initial.Length)];
        initial.CopyTo(Buffer);
        Length = initial.Length;
    }

    /// <summary>A zero-filled string of <paramref name="length"/> bytes (SETRANGE/SETBIT on a missing key).</summary>
    public MutableString(int length)
    {
        Buffer = new byte[length];
        Length = length;
    }

    public byte[] Buffer { get; private set; }

    /// <summary>
    /// What OBJECT ENCODING reports: <c>raw</c> once grown in place (Redis's dbUnshareStringValue).
    /// A value stored by a path that skips Redis's tryObjectEncoding keeps the encoding that path
    /// gives it, even when its text reads as an integer: INCRBYFLOAT's "25" is an <c>embstr</c>
    /// (<see cref="StringValue.StoreFloatText"/>), COPY of a shared integer an unshared <c>int</c>
    /// (<see cref="ValueTypes.Clone"/>).
    /// </summary>
    public string Encoding { get; set; } = "raw";

    public int Length { get; private set; }

    public Span<byte> Span => Buffer.AsSpan(0, Length);

    /// <summary>Makes the string <paramref name="length"/> bytes long, zero-filling new bytes.</summary>
    public void SetLength(int length)
    {
        if (length > Buffer.Length)
        {
            var grown = new byte[GrownCapacity(length)];
            Buffer.AsSpan(0, Length).CopyTo(grown);
            Buffer = grown;
        }
        else if (length > Length)
        {
            Buffer.AsSpan(Length, length - Length).Clear();
        }

        Length = length;
    }

    /// <summary>sds's greedy growth: double below 1 MB (SDS_MAX_PREALLOC), then 1 MB more; never past an array's limit.</summary>
    public static int GrownCapacity(int length)
        => (int)Math.Min(Array.MaxLength, Math.Max(length, Math.Min((long)length * 2, length + (1024L * 1024))));

    public void Append(ReadOnlySpan<byte> bytes)
    {
        int start = Length;
        SetLength(Length + bytes.Length);
        bytes.CopyTo(Buffer.AsSpan(start));
    }
}

/// <summary>
/// How string values are held: bytes in the key's native block (<see cref="KeyBlock"/>; OBJECT ENCODING
/// <c>int</c> when they read as an integer, <c>embstr</c> up to 44 bytes, else <c>raw</c>), a
/// <c>byte[]</c> outside the table (<see cref="KeyTable.ValueAt"/>'s copy), or a <see cref="MutableString"/>.
/// Read and write strings through <see cref="KeyTable.TryGetString"/> and <see cref="KeyTable.SetString"/>.
/// A value's bytes belong to one key only, so they may be overwritten in place.
/// </summary>
internal static class StringValue
{
    /// <summary>Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT.</summary>
    public const int EmbstrLimit = 44;

    /// <summary>Redis's OBJ_SHARED_INTEGERS.</summary>
    public const long SharedIntegers = 10000;

    public static bool IsString(object value) => value is byte[] or MutableString;

    /// <summary>
    /// Redis's checkStringLength: a string may not grow past proto-max-bulk-len (nor, here, past the
    /// largest .NET array); the sum is checked without overflow.
    /// </summary>
    public static bool FitsLength(long size, long append, long protoMaxBulkLen)
    {
        long limit = Math.Min(protoMaxBulkLen, Array.MaxLength);
        return size <= limit && append <= limit - size;
    }

    /// <summary>The bytes of a string value; false for other types.</summary>
    public static bool TryGet(object value, out ReadOnlySpan<byte> bytes)
    {
        if (value is byte[] array)
        {
            bytes = array;
            return true;
        }

        if (value is MutableString mutable)
        {
            bytes = mutable.Span;
            return true;
        }

        bytes = default;
        return false;
    }

    /// <summary>
    /// INCRBYFLOAT's result: text that reads as an integer is kept as an embstr, as Redis keeps it
    /// (see <see cref="MutableString.Encoding"/>); other text is encoded by content, as Redis's
    /// createStringObject does (embstr up to 44 bytes, else raw).
    /// </summary>
    public static object StoreFloatText(ReadOnlySpan<byte> text)
    {
        if (text.Length <= 20 && RespNumber.TryParseInt64(text, out _))
        {
            return new MutableString(text, text.Length) { Encoding = "embstr" };
        }

        return text.ToArray();
    }

    /// <summary>
    /// Whether Redis would hold this value as one of its shared integer objects 0..9999
    /// (OBJ_SHARED_INTEGERS; tryObjectEncoding uses them while no LRU/LFU maxmemory policy forbids it).
    /// </summary>
    public static bool IsSharedInteger(object value)
        => value is byte[] bytes && bytes.Length <= 4 && RespNumber.TryParseInt64(bytes, out long number) && number is >= 0 and < SharedIntegers;

    public static string Encoding(object value)
    {
        if (value is MutableString mutable)
        {
            return mutable.Encoding;
        }

        var bytes = (byte[])value;
        if (bytes.Length <= 20 && RespNumber.TryParseInt64(bytes, out _))
        {
            return "int";
        }

        return bytes.Length <= EmbstrLimit ? "embstr" : "raw";
    }
}
