namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// LZF (liblzf's format, as Redis compresses RDB strings with rdbcompression yes): literal runs of 1-32
/// bytes and back references of 3-264 bytes up to 8 KB back. The compressor need not produce the same
/// bytes as liblzf, only a stream lzf_decompress reads.
/// </summary>
internal static class Lzf
{
    private const int HashLog = 14;
    private const int MaxLiteral = 32;
    private const int MaxOffset = 1 << 13;
    private const int MaxMatch = (1 << 8) + (1 << 3); // liblzf's MAX_REF: 7 + 255 in the length bytes, plus 2

    // Positions by hash of three bytes; stale slots from earlier inputs are harmless (every candidate is verified).
    [ThreadStatic]
    private static int[]? t_table;

    /// <summary>Compresses into <paramref name="output"/>; 0 when the result would not fit (Redis then stores the string as is).</summary>
    public static int Compress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var table = t_table ??= new int[1 << HashLog];
        int n = input.Length;
        int op = 0, ip = 0, literal = 0;
        int runStart = -1; // where the open literal run's control byte sits, or -1
        while (ip < n)
        {
            if (ip + 2 < n)
            {
                int h = Hash(input[ip], input[ip + 1], input[ip + 2]);
                int candidate = table[h] - 1;
                table[h] = ip + 1;
                int distance = ip - candidate;
                if (candidate >= 0 && distance > 0 && distance <= MaxOffset
                    && input[candidate] == input[ip] && input[candidate + 1] == input[ip + 1] && input[candidate + 2] == input[ip + 2])
                {
                    int limit = Math.Min(MaxMatch, n - ip);
                    int length = 3;
                    while (length < limit && input[candidate + length] == input[ip + length])
                    {
                        length++;
                    }

                    if (op + 3 > output.Length)
                    {
                        return 0;
                    }

                    if (runStart >= 0)
                    {
                        output[runStart] = (byte)(literal - 1);
                        runStart = -1;
                        literal = 0;
                    }

                    int off = distance - 1;
                    int encoded = length - 2;
                    if (encoded < 7)
                    {
                        output[op++] = (byte)((encoded << 5) | (off >> 8));
                    }
                    else
                    {
                        output[op++] = (byte)((7 << 5) | (off >> 8));
                        output[op++] = (byte)(encoded - 7);
                    }

                    output[op++] = (byte)off;
                    ip += length;
                    continue;
                }
            }

            if (runStart < 0)
            {
                if (op >= output.Length)
                {
                    return 0;
                }

                runStart = op++;
            }

            if (op >= output.Length)
            {
                return 0;
            }

            output[op++] = input[ip++];
            if (++literal == MaxLiteral)
            {
                output[runStart] = MaxLiteral - 1;
                runStart = -1;
                literal = 0;
            }
        }

        if (runStart >= 0)
        {
            output[runStart] = (byte)(literal - 1);
        }

        return op;
    }

    private static int Hash(byte a, byte b, byte c) => (int)((((uint)a << 16 | (uint)b << 8 | c) * 2654435761u) >> (32 - HashLog));

    /// <summary>liblzf's lzf_decompress; false when the input is malformed or does not fill <paramref name="output"/> exactly.</summary>
    public static bool TryDecompress(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int ip = 0;
        int op = 0;
        while (ip < input.Length)
        {
            int ctrl = input[ip++];
            if (ctrl < 32)
            {
                ctrl++;
                if (op + ctrl > output.Length || ip + ctrl > input.Length)
                {
                    return false;
                }

                input.Slice(ip, ctrl).CopyTo(output[op..]);
                ip += ctrl;
                op += ctrl;
            }
            else
            {
                int length = ctrl >> 5;
                if (length == 7)
                {
                    if (ip >= input.Length)
                    {
                        return false;
                    }

                    length += input[ip++];
                }

                if (ip >= input.Length)
                {
                    return false;
                }

                int reference = op - ((ctrl & 0x1f) << 8) - 1 - input[ip++];
                length += 2;
                if (reference < 0 || op + length > output.Length)
                {
                    return false;
                }

                for (int i = 0; i < length; i++)
                {
                    output[op++] = output[reference++];
                }
            }
        }

        return op == output.Length;
    }
}
