using System.Globalization;
using System.Text;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// The random source for one seeded command stream: keys from a small space (so commands collide),
/// values that exercise every string encoding and number rule, and option words in random case.
/// The stream never depends on replies, so a seed always produces the same commands.
/// </summary>
public sealed class CommandStream
{
    /// <summary>Keys k0..k19: small enough that most commands meet existing keys.</summary>
    public const int KeySpace = 20;

    private static readonly string LongValue = new('x', 50);

    private static readonly object[] Values =
    [
        "0", "1", "-1", "7", "42", "100", "9999", "10000", "-250", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "12345678901234567890", "abc", "hello world", "", "1.5", "-0.25", "3.0e2", " 5", "5 ", "007", "+1",
        "0x10", "1e400", "nan", "inf", "99999999999999999999999", LongValue, new string('y', 44), new string('z', 45),
        new byte[] { 0, 1, 2, 0xff, 0xfe }, "tab\there", "line\nbreak", "ünïcödé",
    ];

    private static readonly string[] Integers =
    [
        "0", "1", "-1", "2", "5", "10", "-7", "100", "1000", "9223372036854775807", "-9223372036854775808",
        "9223372036854775806", "-9223372036854775807", "abc", "", "1.5", " 1", "1 ", "01", "+1", "-0", "0x10", "9223372036854775808",
    ];

    private static readonly string[] Floats =
    [
        "1", "-1", "0.1", "0.2", "1.5", "-2.25", "3.0e2", "1e-3", "10.5", "5.0e3", "0", "-0", "abc", "", "inf", "-inf", "nan",
        "0x10", "1e308", "1.7976931348623157e308", " 1", "1 ", "17", "100000000000000000000",
    ];

    public CommandStream(int seed)
    {
        Random = new Random(seed);
    }

    public Random Random { get; }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => Random.NextDouble() < p;

    public T Pick<T>(params T[] items) => items[Random.Next(items.Length)];

    /// <summary>A command or option word in upper, lower or mixed case: Redis matches them case-insensitively.</summary>
    public string Word(string word)
    {
        double roll = Random.NextDouble();
        if (roll < 0.6)
        {
            return word.ToUpperInvariant();
        }

        if (roll < 0.85)
        {
            return word.ToLowerInvariant();
        }

        var chars = word.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = Random.Next(2) == 0 ? char.ToUpperInvariant(chars[i]) : char.ToLowerInvariant(chars[i]);
        }

        return new string(chars);
    }

    public string Key() => "k" + Random.Next(KeySpace).ToString(CultureInfo.InvariantCulture);

    public object[] Keys(int min, int max)
    {
        var keys = new object[Random.Next(min, max + 1)];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = Key();
        }

        return keys;
    }

    public object Value() => Chance(0.3) ? Random.Next(-20, 200).ToString(CultureInfo.InvariantCulture) : Pick(Values);

    /// <summary>An integer argument: usually small and valid, sometimes at the edges or malformed.</summary>
    public string Integer() => Chance(0.6) ? Random.Next(-100, 100).ToString(CultureInfo.InvariantCulture) : Pick(Integers);

    public string Float() => Chance(0.3) ? (Random.Next(-1000, 1000) / 8.0).ToString("R", CultureInfo.InvariantCulture) : Pick(Floats);

    /// <summary>A small offset or index, sometimes negative, huge or malformed.</summary>
    public string Offset() => Chance(0.8)
        ? Random.Next(-60, 60).ToString(CultureInfo.InvariantCulture)
        : Pick("9223372036854775807", "-9223372036854775808", "2147483648", "-2147483649", "abc", "1.0", "");

    /// <summary>
    /// A relative expiry: long enough that no key expires while a stream runs (so both servers stay
    /// in step), or one of the invalid/immediate values Redis handles specially.
    /// </summary>
    public string Seconds() => Chance(0.85)
        ? Random.Next(100, 100_000).ToString(CultureInfo.InvariantCulture)
        : Pick("0", "-1", "-100", "abc", "1.5", "", "9223372036854775807", "9223372036854776", "-9223372036854775808", "4611686018427387");

    public string Milliseconds() => Chance(0.85)
        ? Random.Next(100_000, 100_000_000).ToString(CultureInfo.InvariantCulture)
        : Pick("0", "-1", "abc", "1.5", "9223372036854775807", "-9223372036854775808");

    /// <summary>An absolute unix time in seconds, in the future unless <paramref name="allowPast"/>.</summary>
    public string UnixSeconds(bool allowPast)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (allowPast && Chance(0.15))
        {
            return Pick("1", "0", (now - Random.Next(10, 10_000)).ToString(CultureInfo.InvariantCulture), "-5");
        }

        return Chance(0.9) ? (now + Random.Next(1000, 1_000_000)).ToString(CultureInfo.InvariantCulture) : Pick("abc", "9223372036854775807");
    }

    public string UnixMilliseconds(bool allowPast)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (allowPast && Chance(0.15))
        {
            return Pick("1", "0", (now - Random.Next(10_000, 10_000_000)).ToString(CultureInfo.InvariantCulture));
        }

        return Chance(0.9) ? (now + Random.Next(1_000_000, 1_000_000_000)).ToString(CultureInfo.InvariantCulture) : Pick("abc", "9223372036854775807");
    }

    /// <summary>A database index: mostly 0-3, sometimes out of range or malformed.</summary>
    public string Database() => Chance(0.9) ? Random.Next(0, 4).ToString(CultureInfo.InvariantCulture) : Pick("16", "-1", "abc", "100000000000");

    /// <summary>A glob pattern for KEYS / SCAN MATCH.</summary>
    public string Pattern() => Pick("*", "k1*", "k?", "k[0-4]", "k[^1]*", "*1*", "k\\*", "nomatch", "k1[", "[a-z]*");

    /// <summary>A string of bytes for ECHO/PING/unknown-command arguments.</summary>
    public object Text() => Chance(0.1) ? Encoding.UTF8.GetBytes(new string('w', Random.Next(100, 200))) : Value();

    /// <summary>A random subset of the options, in random order, each given by a factory.</summary>
    public List<object> Options(int max, params Func<object[]>[] options)
    {
        var result = new List<object>();
        int count = Random.Next(0, max + 1);
        for (int i = 0; i < count; i++)
        {
            result.AddRange(Pick(options)());
        }

        return result;
    }
}
