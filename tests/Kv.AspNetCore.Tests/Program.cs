using Kv.AspNetCore.Tests.MethodCaching;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests;

/// <summary>
/// The test assembly's entry point (the test SDK's own is off): the test host never calls it; run as
/// <c>dotnet Kv.AspNetCore.Tests.dll print-cache-keys</c> it prints [Cache] keys, so a test can compare
/// the keys of another process (another time zone) with its own.
/// </summary>
public static class Program
{
    internal const string PrintKeys = "print-cache-keys";

    public static async Task<int> Main(string[] args)
    {
        if (args is not [PrintKeys])
        {
            return 0;
        }

        await using var client = new KvClient(new KvClientOptions { Host = "127.0.0.1", Port = RedisProcess.FreePort() });
        Console.Out.Write(CacheKeyTests.PrintedKeys(CacheKeyTests.CacheForKeys(client)));
        return 0;
    }
}
