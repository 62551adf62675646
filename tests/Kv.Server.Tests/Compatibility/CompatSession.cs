using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// One connection to kv-server and one to redis-server that receive the same commands; every reply
/// pair is compared and a difference fails the test with the command, seed, step, both replies and
/// the commands that led there.
/// </summary>
public sealed class CompatSession : IAsyncDisposable
{
    private const int HistoryLength = 12;
    private readonly Queue<string> _history = new();

    public CompatSession(RespTestClient kv, RespTestClient redis, int seed)
    {
        Kv = kv;
        Redis = redis;
        Seed = seed;
    }

    public RespTestClient Kv { get; }

    public RespTestClient Redis { get; }

    public int Seed { get; }

    /// <summary>The number of commands compared so far (1-based once the first is sent).</summary>
    public int Step { get; private set; }

    /// <summary>Differences tolerated by <see cref="CompatAllowlist"/> so far.</summary>
    public List<string> Tolerated { get; } = [];

    /// <summary>Sends a command to both servers and fails unless the replies agree under <paramref name="match"/>.</summary>
    public async Task<RespReply> CompareAsync(object[] args, ReplyMatch match = ReplyMatch.Exact)
    {
        Step++;
        var (kv, redis) = await SendBothAsync(args);
        Check(args, kv, redis, match);
        return redis;
    }

    /// <summary>Reads the next reply of each server (after raw bytes were written to both) and compares them.</summary>
    public async Task<RespReply> CompareReadAsync(string label)
    {
        Step++;
        var kv = await ReadOrClosedAsync(Kv);
        var redis = await ReadOrClosedAsync(Redis);
        Check([label], kv, redis, ReplyMatch.Exact);
        return redis;
    }

    /// <summary>
    /// Iterates SCAN to the end on both servers and compares the sets of keys returned: cursors are
    /// implementation details and Redis leaves order (and duplicates) unspecified.
    /// </summary>
    public async Task CompareScanAsync(object[] options)
    {
        Step++;
        var kvKeys = await ScanAllAsync(Kv, options);
        var redisKeys = await ScanAllAsync(Redis, options);
        object[] shown = ["SCAN", "<cursor>", .. options];
        Check(shown, kvKeys, redisKeys, ReplyMatch.Exact);
    }

    /// <summary>Both replies to one command (read concurrently so time-based values stay close).</summary>
    public async Task<(RespReply Kv, RespReply Redis)> SendBothAsync(object[] args)
    {
        await Task.WhenAll(Kv.WriteCommandAsync(args), Redis.WriteCommandAsync(args));
        var kv = ReadOrClosedAsync(Kv);
        var redis = ReadOrClosedAsync(Redis);
        return (await kv, await redis);
    }

    /// <summary>Fails unless both servers have closed their connection.</summary>
    public async Task AssertBothClosedAsync(string label)
    {
        var kvClosed = Kv.IsClosedByServerAsync(TimeSpan.FromSeconds(5));
        var redisClosed = Redis.IsClosedByServerAsync(TimeSpan.FromSeconds(5));
        bool kv = await kvClosed;
        bool redis = await redisClosed;
        Assert.True(kv == redis && kv, $"{label}: redis-server {(redis ? "closed" : "kept open")} the connection, kv-server {(kv ? "closed" : "kept open")} it.\n{History()}");
    }

    public async ValueTask DisposeAsync()
    {
        await Kv.DisposeAsync();
        await Redis.DisposeAsync();
    }

    private void Check(IReadOnlyList<object> args, RespReply kv, RespReply redis, ReplyMatch match)
    {
        string command = ReplyComparison.RenderCommand(args);
        string kvText = ReplyComparison.Canonical(kv);
        string redisText = ReplyComparison.Canonical(redis);
        if (!ReplyComparison.Matches(kv, redis, match))
        {
            if (CompatAllowlist.Find(args) is { } allowed)
            {
                Tolerated.Add($"step {Step}: {command}: kv {kvText} / redis {redisText} ({allowed.Reason})");
            }
            else
            {
                Assert.Fail(
                    $"kv-server and redis-server disagree (seed {Seed}, step {Step}, compared {match}).\n" +
                    $"command:      {command}\n" +
                    $"redis-server: {redisText}\n" +
                    $"kv-server:    {kvText}\n" +
                    History());
            }
        }

        _history.Enqueue($"  step {Step}: {command} -> {Shorten(redisText)}");
        if (_history.Count > HistoryLength)
        {
            _history.Dequeue();
        }
    }

    private string History()
    {
        var sb = new StringBuilder("previous commands (redis-server's replies):\n");
        foreach (var line in _history)
        {
            sb.AppendLine(line);
        }

        return sb.ToString();
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    private static async Task<RespReply> ReadOrClosedAsync(RespTestClient client)
    {
        try
        {
            return await client.ReadReplyAsync();
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            return new RespReply('?', "(connection closed)", 0, null);
        }
        catch (OperationCanceledException)
        {
            return new RespReply('?', "(no reply within the timeout)", 0, null);
        }
    }

    private static async Task<RespReply> ScanAllAsync(RespTestClient client, object[] options)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        string cursor = "0";
        for (int round = 0; round < 10_000; round++)
        {
            var reply = await ReadOrErrorAsync(client, ["SCAN", cursor, .. options]);
            if (reply.Items is not { Count: 2 } items || items[1].Items is null)
            {
                return reply;
            }

            foreach (var key in items[1].Items!)
            {
                keys.Add(ReplyComparison.Canonical(key));
            }

            cursor = items[0].Text ?? "0";
            if (cursor == "0")
            {
                var sorted = new List<RespReply>();
                foreach (var key in keys)
                {
                    sorted.Add(new RespReply('+', key, 0, null));
                }

                return new RespReply('*', null, sorted.Count, sorted);
            }
        }

        return new RespReply('?', "(SCAN did not finish within 10000 calls)", 0, null);
    }

    private static async Task<RespReply> ReadOrErrorAsync(RespTestClient client, object[] args)
    {
        await client.WriteCommandAsync(args);
        return await ReadOrClosedAsync(client);
    }
}
