namespace Kv.Server.Persistence.Rdb;

/// <summary>
/// Redis's CRC64 (crc64.c: the Jones polynomial 0xad93d23594c935a9, reflected in and out, no final
/// xor; "123456789" gives 0xe9c6d914c4b8d9ca). RDB files and DUMP payloads end with it, little endian.
/// Slicing by 8 keeps a 1 GB snapshot's checksum well under a second.
/// </summary>
internal static class Crc64
{
    private static readonly ulong[][] Tables = CreateTables();

    public static ulong Compute(ReadOnlySpan<byte> data) => Update(0, data);

    public static ulong Update(ulong crc, ReadOnlySpan<byte> data)
    {
        var t = Tables;
        var t0 = t[0];
        int i = 0;
        while (data.Length - i >= 8)
        {
            crc ^= BitConverter.ToUInt64(data.Slice(i, 8));
            crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^ t[4][(crc >> 24) & 0xff]
                ^ t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^ t[1][(crc >> 48) & 0xff] ^ t0[crc >> 56];
            i += 8;
        }

        for (; i < data.Length; i++)
        {
            crc = t0[(byte)(crc ^ data[i])] ^ (crc >> 8);
        }

        return crc;
    }

    private static ulong[][] CreateTables()
    {
        const ulong polynomial = 0x95ac9329ac4bc9b5; // 0xad93d23594c935a9 reflected
        var tables = new ulong[8][];
        for (int k = 0; k < 8; k++)
        {
            tables[k] = new ulong[256];
        }

        for (uint i = 0; i < 256; i++)
        {
            ulong crc = i;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ polynomial : crc >> 1;
            }

            tables[0][i] = crc;
        }

        for (int i = 0; i < 256; i++)
        {
            for (int k = 1; k < 8; k++)
            {
                ulong previous = tables[k - 1][i];
                tables[k][i] = tables[0][previous & 0xff] ^ (previous >> 8);
            }
        }

        return tables;
    }
}
