using Kv.AspNetCore.Diagnostics;
using Kv.AspNetCore.MethodCaching;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.MethodCaching;

/// <summary>The key format: golden values (the same text in any process, culture or machine) and pairs that must not collide.</summary>
public sealed class CacheKeyTests : IAsyncLifetime
{
    private KvClient _client = null!;
    private KvMethodCache _cache = null!;

    private delegate void KeyParts(ref KvCacheKeyBuilder key);

    public Task InitializeAsync()
    {
        // Keys need no server: the client (for tags) points where nothing listens and is never used.
        _client = new KvClient(new KvClientOptions { Host = "127.0.0.1", Port = RedisProcess.FreePort() });
        _cache = CacheForKeys(_client);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _client.DisposeAsync();

    public static TheoryData<string, string> Golden => new()
    {
        { "long", "kvm:1:M:-42" },
        { "ulong", "kvm:1:M:18446744073709551615" },
        { "bool", "kvm:1:M:true:false" },
        { "char", "kvm:1:M:1::" },
        { "double", "kvm:1:M:0.30000000000000004:-0:1E+300:NaN" },
        { "float", "kvm:1:M:0.1" },
        { "decimal", "kvm:1:M:1.10:-79228162514264337593543950335" },
        { "guid", "kvm:1:M:6f9619ff-8b86-d011-b42d-00cf4fc964ff" },
        { "datetime", "kvm:1:M:2024-05-06T07:08:09.1234567Z:2024-05-06T07:08:09.1234567L:2024-05-06T07:08:09.1234567U" },
        { "offset", "kvm:1:M:2024-05-06T07:08:09.0000000+02:00" },
        { "timespan", "kvm:1:M:1.02:03:04.5000000" },
        { "dateonly", "kvm:1:M:2024-05-06:07:08:09.0000000" },
        { "string", "kvm:1:M:3:a:b:0::~" },
        { "surrogate", "kvm:1:M:xd800" },
        { "json", "kvm:1:M:43:{\"Id\":1,\"Name\":\"a:b\",\"Price\":1.0,\"Tags\":[]}:~" },
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void KeysAreTheDocumentedTextWhateverTheCulture(string kind, string expected)
    {
        var culture = Thread.CurrentThread.CurrentCulture;
        try
        {
            // InvariantGlobalization is on in this repo; an app's may not be: formats must not depend on it.
            Thread.CurrentThread.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
            Assert.Equal(expected, Key(Parts(kind)));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = culture;
        }
    }

    public static TheoryData<string, string> Pairs => new()
    {
        { "strings a:b,c", "strings a,b:c" },
        { "null string", "empty string" },
        { "null string", "tilde string" },
        { "surrogate d800", "surrogate d801" },
        { "surrogate d800", "text xd800" },
        { "utc", "local" },
        { "local", "unspecified" },
        { "0.1+0.2", "0.3" },
        { "0.0", "-0.0" },
        { "json a:b", "json a,b" },
        { "json null", "json empty" },
        { "long key 1", "long key 2" },
        { "offset +0", "offset +1" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void DifferentArgumentsNeverShareAKey(string left, string right)
        => Assert.NotEqual(Key(Pair(left)), Key(Pair(right)));

    [Fact]
    public void KeysOverTheLimitKeepTheirFirstCharactersAndAHashAndStayLongerThanTheLimit()
    {
        string ascii = Key((ref KvCacheKeyBuilder k) => k.Append(new string('a', 300)));
        Assert.Equal(200 + 1 + 43, ascii.Length);
        Assert.StartsWith("kvm:1:M:300:aaaa", ascii, StringComparison.Ordinal);
        Assert.Equal('#', ascii[200]);

        // 150 two-byte characters: over 200 bytes, under 200 characters: all kept, then the hash.
        string accented = Key((ref KvCacheKeyBuilder k) => k.Append(new string('é', 150)));
        Assert.Equal("kvm:1:M:150:".Length + 150 + 1 + 43, accented.Length);
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(accented) > 200);

        // Just under the limit: as built.
        string fits = Key((ref KvCacheKeyBuilder k) => k.Append(new string('a', 200 - "kvm:1:M:192:".Length)));
        Assert.Equal(200, fits.Length);
        Assert.DoesNotContain('#', fits);
    }

    [Fact]
    public void BuildingAShortKeyAllocatesOnlyItsString()
    {
        KeyParts parts = (ref KvCacheKeyBuilder k) =>
        {
            k.Append(42L);
            k.Append("name");
            k.Append(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc));
            k.Append(Guid.Empty);
        };
        Key(parts);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string key = Key(parts);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // A string's object: 20-byte header and length, two bytes a character, rounded up to 8.
        Assert.True(allocated <= 22 + (2 * key.Length) + 8, $"{allocated} bytes for a key of {key.Length} characters");
    }

    [Fact]
    public async Task AnotherProcessInAnotherTimeZoneBuildsTheSameKeys()
    {
        // This test assembly run as a program (Program.cs) prints every golden kind's key.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [typeof(CacheKeyTests).Assembly.Location, Program.PrintKeys])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment["TZ"] = "Pacific/Chatham";
        using var child = System.Diagnostics.Process.Start(start)!;
        string output = await child.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, child.ExitCode);
        Assert.Equal(PrintedKeys(_cache).Split('\n'), output.Replace("\r", "", StringComparison.Ordinal).Split('\n'));
    }

    /// <summary>Every golden kind and its key, a line each (what the child process prints).</summary>
    internal static string PrintedKeys(KvMethodCache cache)
    {
        var lines = new System.Text.StringBuilder();
        foreach (var row in Golden)
        {
            string kind = (string)row[0];
            var parts = Parts(kind);
            lines.Append(kind).Append('\t').Append(Key(cache, parts)).Append('\n');
        }

        return lines.ToString();
    }

    internal static KvMethodCache CacheForKeys(KvClient client)
        => new(new KvMethodCacheOptions(), new KvCacheOptions(), new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())), client, new KvMetrics(), NullLogger.Instance);

    private static string Key(KvMethodCache cache, KeyParts parts)
    {
        var key = new KvCacheKeyBuilder(stackalloc char[256], cache, "M");
        parts(ref key);
        return key.ToKey();
    }

    private string Key(KeyParts parts) => Key(_cache, parts);

    private static KeyParts Parts(string kind) => kind switch
    {
        "long" => (ref KvCacheKeyBuilder k) => k.Append(-42L),
        "ulong" => (ref KvCacheKeyBuilder k) => k.Append(ulong.MaxValue),
        "bool" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append(true);
            k.Append(false);
        },
        "char" => (ref KvCacheKeyBuilder k) => k.Append(':'),
        "double" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append(0.1 + 0.2);
            k.Append(-0.0);
            k.Append(1e300);
            k.Append(double.NaN);
        },
        "float" => (ref KvCacheKeyBuilder k) => k.Append(0.1f),
        "decimal" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append(1.10m);
            k.Append(decimal.MinValue);
        },
        "guid" => (ref KvCacheKeyBuilder k) => k.Append(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff")),
        "datetime" => (ref KvCacheKeyBuilder k) =>
        {
            var ticks = new DateTime(2024, 5, 6, 7, 8, 9).AddTicks(1234567).Ticks;
            k.Append(new DateTime(ticks, DateTimeKind.Utc));
            k.Append(new DateTime(ticks, DateTimeKind.Local));
            k.Append(new DateTime(ticks, DateTimeKind.Unspecified));
        },
        "offset" => (ref KvCacheKeyBuilder k) => k.Append(new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2))),
        "timespan" => (ref KvCacheKeyBuilder k) => k.Append(new TimeSpan(1, 2, 3, 4, 500)),
        "dateonly" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append(new DateOnly(2024, 5, 6));
            k.Append(new TimeOnly(7, 8, 9));
        },
        "string" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append("a:b");
            k.Append("");
            k.Append((string?)null);
        },
        "surrogate" => (ref KvCacheKeyBuilder k) => k.Append("\ud800"),
        "json" => (ref KvCacheKeyBuilder k) =>
        {
            k.AppendJson(new Product(1, "a:b", 1.0m, []));
            k.AppendJson<Product?>(null);
        },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static KeyParts Pair(string name) => name switch
    {
        "strings a:b,c" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append("a:b");
            k.Append("c");
        },
        "strings a,b:c" => (ref KvCacheKeyBuilder k) =>
        {
            k.Append("a");
            k.Append("b:c");
        },
        "null string" => (ref KvCacheKeyBuilder k) => k.Append((string?)null),
        "empty string" => (ref KvCacheKeyBuilder k) => k.Append(""),
        "tilde string" => (ref KvCacheKeyBuilder k) => k.Append("~"),
        "surrogate d800" => (ref KvCacheKeyBuilder k) => k.Append("a\ud800"),
        "surrogate d801" => (ref KvCacheKeyBuilder k) => k.Append("a\ud801"),
        "text xd800" => (ref KvCacheKeyBuilder k) => k.Append("x0061d800"),
        "utc" => (ref KvCacheKeyBuilder k) => k.Append(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
        "local" => (ref KvCacheKeyBuilder k) => k.Append(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Local)),
        "unspecified" => (ref KvCacheKeyBuilder k) => k.Append(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified)),
        "0.1+0.2" => (ref KvCacheKeyBuilder k) => k.Append(0.1 + 0.2),
        "0.3" => (ref KvCacheKeyBuilder k) => k.Append(0.3),
        "0.0" => (ref KvCacheKeyBuilder k) => k.Append(0.0),
        "-0.0" => (ref KvCacheKeyBuilder k) => k.Append(-0.0),
        "json a:b" => (ref KvCacheKeyBuilder k) =>
        {
            k.AppendJson(new[] { "a:b" });
            k.AppendJson(new[] { "c" });
        },
        "json a,b" => (ref KvCacheKeyBuilder k) =>
        {
            k.AppendJson(new[] { "a" });
            k.AppendJson(new[] { "b:c" });
        },
        "json null" => (ref KvCacheKeyBuilder k) => k.AppendJson<string[]?>(null),
        "json empty" => (ref KvCacheKeyBuilder k) => k.AppendJson(Array.Empty<string>()),
        "long key 1" => (ref KvCacheKeyBuilder k) => k.Append(new string('a', 400) + "1"),
        "long key 2" => (ref KvCacheKeyBuilder k) => k.Append(new string('a', 400) + "2"),
        "offset +0" => (ref KvCacheKeyBuilder k) => k.Append(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero)),
        "offset +1" => (ref KvCacheKeyBuilder k) => k.Append(new DateTimeOffset(2024, 1, 1, 1, 0, 0, TimeSpan.FromHours(1))),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
