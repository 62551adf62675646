using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// A seeded random stream of string and bitmap commands sent to kv-server and to a real redis-server
/// (the Debian package CI installs); every reply must be identical.
/// </summary>
public sealed class StringCompatibilityTests : IClassFixture<KvServerFixture>, IAsyncLifetime
{
    private readonly KvServerFixture _fixture;
    private Process? _redis;
    private int _redisPort;

    public StringCompatibilityTests(KvServerFixture fixture) => _fixture = fixture;

    public async Task InitializeAsync()
    {
        string? binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);
        Assert.True(binary is not null, "redis-server is not installed (apt-get install -y redis-server); the compatibility tests need it.");
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _redisPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _redis = Process.Start(new ProcessStartInfo(binary!, $"--port {_redisPort} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await using var probeClient = await RespTestClient.ConnectAsync(_redisPort);
                if ((await probeClient.SendAsync("PING")).ToString() == "+PONG")
                {
                    return;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(50);
        }
    }

    public Task DisposeAsync()
    {
        if (_redis is { HasExited: false })
        {
            _redis.Kill();
            _redis.WaitForExit(5000);
        }

        _redis?.Dispose();
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RandomStreamMatchesRedis(int seed)
    {
        await using var kv = await _fixture.ConnectAsync();
        await using var redis = await RespTestClient.ConnectAsync(_redisPort);
        string[] keys = [$"c{seed}:a", $"c{seed}:b", $"c{seed}:c"];
        foreach (var client in new[] { kv, redis })
        {
            await client.SendAsync(["DEL", .. keys]);
        }

        var random = new Random(seed);
        for (int n = 0; n < 1500; n++)
        {
            object[] command = Next(random, keys);
            var expected = await redis.SendAsync(command);
            var actual = await kv.SendAsync(command);
            string shown = string.Join(' ', command.Select(a => a is byte[] b ? Convert.ToHexString(b) : a.ToString()));
            Assert.True(expected.ToString() == actual.ToString(), $"#{n} {shown}: redis {expected}, kv {actual}");
            Assert.Equal(expected.Bytes, actual.Bytes);
        }
    }

    private static object[] Next(Random r, string[] keys)
    {
        string k = keys[r.Next(keys.Length)];
        string Index() => (r.Next(4) switch { 0 => r.Next(-40, 40), 1 => r.Next(-200, 200), 2 => 0, _ => -1 }).ToString(CultureInfo.InvariantCulture);
        string Bit() => r.Next(2).ToString(CultureInfo.InvariantCulture);
        string Small(int max) => r.Next(max).ToString(CultureInfo.InvariantCulture);
        byte[] Value()
        {
            byte[] alphabet = [(byte)'a', (byte)'b', 0, 0xFF, (byte)'x', (byte)'0', (byte)'1'];
            var bytes = new byte[r.Next(13)];
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = alphabet[r.Next(alphabet.Length)];
            }

            return bytes;
        }

        string Number() => r.Next(5) switch
        {
            0 => r.Next(-1000000, 1000000).ToString(CultureInfo.InvariantCulture),
            1 => (r.NextDouble() * 2000 - 1000).ToString("F" + r.Next(7), CultureInfo.InvariantCulture),
            2 => $"{r.Next(-99, 99)}e{r.Next(-30, 30)}",
            3 => (r.NextDouble() * 2 - 1).ToString("F" + r.Next(10, 20), CultureInfo.InvariantCulture),
            _ => (r.NextDouble() * 20 - 10).ToString("F3", CultureInfo.InvariantCulture),
        };

        string[] units = ["", "", "BIT", "BYTE", "bit"];
        string unit = units[r.Next(units.Length)];
        object[] WithUnit(params object[] args) => unit.Length == 0 ? args : [.. args, unit];
        return r.Next(22) switch
        {
            0 => ["SETBIT", k, Small(150), Bit()],
            1 => ["GETBIT", k, Small(150)],
            2 => ["SETRANGE", k, Small(30), Value()],
            3 => ["APPEND", k, Value()],
            4 => ["GETRANGE", k, Index(), Index()],
            5 => ["BITCOUNT", k],
            6 => WithUnit("BITCOUNT", k, Index(), Index()),
            7 => ["BITPOS", k, Bit()],
            8 => ["BITPOS", k, Bit(), Index()],
            9 => WithUnit("BITPOS", k, Bit(), Index(), Index()),
            10 => ["BITOP", new[] { "AND", "OR", "XOR" }[r.Next(3)], keys[r.Next(keys.Length)], k, keys[r.Next(keys.Length)], "c:missing"],
            11 => ["BITOP", "NOT", keys[r.Next(keys.Length)], k],
            12 => ["LCS", k, keys[r.Next(keys.Length)], .. new[] { new string[0], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "2"] }[r.Next(5)]],
            13 => ["GET", k],
            14 => ["STRLEN", k],
            15 => ["SET", k, r.Next(2) == 0 ? Value() : Number()],
            16 => ["INCRBYFLOAT", k, Number()],
            17 => ["INCRBY", k, r.Next(-1000, 1000).ToString(CultureInfo.InvariantCulture)],
            18 => ["GETSET", k, Value()],
            19 => ["MSETNX", k, Value(), keys[r.Next(keys.Length)], Number()],
            20 => ["GETDEL", k],
            _ => ["GETEX", k, "PERSIST"],
        };
    }
}
