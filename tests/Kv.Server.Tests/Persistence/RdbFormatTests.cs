using Kv.Server.Persistence.Rdb;

namespace Kv.Server.Tests.Persistence;

/// <summary>The RDB building blocks against their reference values: CRC64 (Jones), LZF, listpack and length encodings.</summary>
public sealed class RdbFormatTests
{
    [Fact]
    public void Crc64MatchesRedisCheckValue()
    {
        // crc64.c's test: crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9ca.
        Assert.Equal(0xe9c6d914c4b8d9caUL, Crc64.Compute("123456789"u8));
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        Assert.Equal(Crc64.Compute(data), Crc64.Update(Crc64.Update(0, data.AsSpan(0, 333)), data.AsSpan(333)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void LzfRoundTrips(int seed)
    {
        var random = new Random(seed);
        for (int n = 0; n < 200; n++)
        {
            int length = random.Next(21, 20000);
            var input = new byte[length];
            // Mixtures of runs, repeats from far back and noise.
            for (int i = 0; i < length; i++)
            {
                input[i] = (seed % 2 == 0 && i > 300 && random.Next(4) != 0) ? input[i - random.Next(1, 300)] : (byte)random.Next(seed == 3 ? 256 : 4);
            }

            var compressed = new byte[length - 4];
            int size = Lzf.Compress(input, compressed);
            if (size == 0)
            {
                continue;
            }

            var output = new byte[length];
            Assert.True(Lzf.TryDecompress(compressed.AsSpan(0, size), output));
            Assert.Equal(input, output);
        }
    }

    /// <summary>
    /// Long runs make the longest back references: liblzf's limit is 264 bytes (7 + 255 in the length
    /// bytes, plus 2); a 265-byte or longer match used to overflow the length byte and corrupt the dump.
    /// </summary>
    [Fact]
    public void LzfRoundTripsRunsOfEveryLength()
    {
        for (int length = 1; length <= 1200; length++)
        {
            foreach (var input in new[] { Run(length, 0), Run(length, 1), Run(length, 2) })
            {
                var compressed = new byte[input.Length + 64];
                int size = Lzf.Compress(input, compressed);
                Assert.True(size > 0, $"length {length}");
                var output = new byte[input.Length];
                Assert.True(Lzf.TryDecompress(compressed.AsSpan(0, size), output), $"length {length}");
                Assert.Equal(input, output);
            }
        }

        // A run of one byte; a run after a short prefix; a repeated short pattern.
        static byte[] Run(int length, int kind) => kind switch
        {
            0 => Enumerable.Repeat((byte)'v', length).ToArray(),
            1 => [.. "abc"u8, .. Enumerable.Repeat((byte)'v', length)],
            _ => Enumerable.Range(0, length).Select(i => (byte)"xyz"[i % 3]).ToArray(),
        };
    }

    [Fact]
    public void StringsUseRedisEncodings()
    {
        var buffer = new RdbBuffer();
        buffer.WriteString("12"u8);
        buffer.WriteString("-300"u8);
        buffer.WriteString("70000"u8);
        buffer.WriteString("007"u8);
        buffer.WriteString("12345678901"u8); // fits 11 bytes but not 32 bits: plain
        Assert.Equal(
            [0xC0, 12, 0xC1, 0xD4, 0xFE, 0xC2, 0x70, 0x11, 0x01, 0x00, 3, (byte)'0', (byte)'0', (byte)'7', 11, .. "12345678901"u8.ToArray()],
            buffer.WrittenSpan.ToArray());

        buffer.Clear();
        buffer.WriteLength(63);
        buffer.WriteLength(64);
        buffer.WriteLength(16384);
        Assert.Equal([63, 0x40, 64, 0x80, 0, 0, 0x40, 0], buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void ListpackRoundTripsIntegersAndStrings()
    {
        var builder = new ListpackBuilder();
        string[] values = ["0", "127", "128", "-1", "-4096", "4095", "32767", "-32768", "8388607", "-8388608", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "", "abc", new string('x', 63), new string('y', 64), new string('z', 4096), "007"];
        foreach (var v in values)
        {
            builder.Append(System.Text.Encoding.ASCII.GetBytes(v));
        }

        var bytes = builder.Finish().ToArray();
        Assert.Equal(values.Length, BitConverter.ToUInt16(bytes, 4));
        var reader = new ListpackReader(bytes);
        var scratch = new byte[24];
        var read = new List<string>();
        while (reader.NextBytes(scratch, out var value))
        {
            read.Add(System.Text.Encoding.ASCII.GetString(value));
        }

        Assert.Equal(values, read);
    }
}
