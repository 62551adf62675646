using Kv.Server.Persistence.Rdb;

namespace Kv.Server.Scripting;

/// <summary>
/// RDB strings as Redis's rdbSaveRawString writes them and rdbGenericLoadStringObject reads them:
/// a length (6, 14, 32 or 64 bits), an integer encoding, or LZF-compressed bytes. kv-server writes
/// plain strings (Redis reads them); it reads all three, so a payload from redis-server restores here.
/// </summary>
internal static class RdbString
{
    public static void Write(List<byte> output, ReadOnlySpan<byte> value)
    {
        WriteLength(output, (ulong)value.Length);
        foreach (byte b in value)
        {
            output.Add(b);
        }
    }

    private static void WriteLength(List<byte> output, ulong length)
    {
        if (length < 64)
        {
            output.Add((byte)length);
        }
        else if (length < 16384)
        {
            output.Add((byte)(0x40 | (length >> 8)));
            output.Add((byte)length);
        }
        else if (length <= uint.MaxValue)
        {
            output.Add(0x80);
            for (int i = 3; i >= 0; i--)
            {
                output.Add((byte)(length >> (8 * i)));
            }
        }
        else
        {
            output.Add(0x81);
            for (int i = 7; i >= 0; i--)
            {
                output.Add((byte)(length >> (8 * i)));
            }
        }
    }

    /// <summary>Reads one string at <paramref name="position"/>; null when the bytes are not a valid string.</summary>
    public static byte[]? Read(ReadOnlySpan<byte> input, ref int position)
    {
        if (!TryReadLength(input, ref position, out ulong length, out bool encoded))
        {
            return null;
        }

        if (!encoded)
        {
            if ((ulong)(input.Length - position) < length)
            {
                return null;
            }

            var value = input.Slice(position, (int)length).ToArray();
            position += (int)length;
            return value;
        }

        switch (length)
        {
            case 0 when position + 1 <= input.Length:
                return System.Text.Encoding.ASCII.GetBytes(((sbyte)input[position++]).ToString(System.Globalization.CultureInfo.InvariantCulture));
            case 1 when position + 2 <= input.Length:
            {
                short v = (short)(input[position] | (input[position + 1] << 8));
                position += 2;
                return System.Text.Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            case 2 when position + 4 <= input.Length:
            {
                int v = input[position] | (input[position + 1] << 8) | (input[position + 2] << 16) | (input[position + 3] << 24);
                position += 4;
                return System.Text.Encoding.ASCII.GetBytes(v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            case 3:
            {
                if (!TryReadLength(input, ref position, out ulong compressed, out _) || !TryReadLength(input, ref position, out ulong original, out _)
                    || (ulong)(input.Length - position) < compressed || original > int.MaxValue)
                {
                    return null;
                }

                var output = new byte[original];
                bool ok = Lzf.TryDecompress(input.Slice(position, (int)compressed), output);
                position += (int)compressed;
                return ok ? output : null;
            }

            default:
                return null;
        }
    }

    private static bool TryReadLength(ReadOnlySpan<byte> input, ref int position, out ulong length, out bool encoded)
    {
        length = 0;
        encoded = false;
        if (position >= input.Length)
        {
            return false;
        }

        byte first = input[position++];
        switch (first >> 6)
        {
            case 0:
                length = (ulong)(first & 0x3f);
                return true;
            case 1:
                if (position >= input.Length)
                {
                    return false;
                }

                length = ((ulong)(first & 0x3f) << 8) | input[position++];
                return true;
            case 3:
                encoded = true;
                length = (ulong)(first & 0x3f);
                return true;
        }

        int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : -1;
        if (bytes < 0 || position + bytes > input.Length)
        {
            return false;
        }

        for (int i = 0; i < bytes; i++)
        {
            length = (length << 8) | input[position++];
        }

        return true;
    }
}
