using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>Shared pieces of the string and bitmap command tests.</summary>
internal static class StringTestSupport
{
    public const string WrongType = "-WRONGTYPE Operation against a key holding the wrong kind of value";

    /// <summary>Sends a command and asserts the canonical rendering of its reply.</summary>
    public static async Task Expect(this RespTestClient client, string expected, params object[] args)
    {
        var reply = await client.SendAsync(args);
        Assert.True(expected == reply.ToString(), $"{string.Join(' ', args)}: expected {expected}, got {reply}");
    }

    /// <summary>
    /// Stores a value of another type under <paramref name="key"/> in database 0 (lists, hashes… come in
    /// later issues; any value that is not a string must answer WRONGTYPE).
    /// </summary>
    public static void PlantOtherType(KvServer server, string key)
    {
        var keyspace = server.State.Keyspace;
        lock (keyspace.Lock)
        {
            keyspace.Databases[0].Set(Encoding.UTF8.GetBytes(key), new object(), keyspace.NowMilliseconds);
        }
    }
}
