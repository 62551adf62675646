using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

// Pub/sub fan-out load: one publisher pipelines PUBLISH to one channel with N subscribers and the
// run ends when every subscriber has received every message. Prints messages/s and deliveries/s.
// Usage: Kv.PubSubLoad <port> [subscribers=100] [messages=200000] [payload=16] [window=256]
int port = int.Parse(args[0], CultureInfo.InvariantCulture);
int subscribers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
int messages = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200_000;
int payloadSize = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 16;
int window = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 256;

const string ChannelName = "bench:fanout";
var payload = new string('x', payloadSize);

// Each delivered frame has the same size, so a subscriber counts bytes, not frames.
int frameSize = Encoding.ASCII.GetByteCount($"*3\r\n$7\r\nmessage\r\n${ChannelName.Length}\r\n{ChannelName}\r\n${payloadSize}\r\n{payload}\r\n");
var confirmation = Encoding.ASCII.GetBytes($"*3\r\n$9\r\nsubscribe\r\n${ChannelName.Length}\r\n{ChannelName}\r\n:1\r\n");

var sockets = new List<Socket>();
for (int i = 0; i < subscribers; i++)
{
    var s = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    await s.ConnectAsync("127.0.0.1", port);
    await s.SendAsync(Encoding.ASCII.GetBytes($"SUBSCRIBE {ChannelName}\r\n"));
    var buffer = new byte[confirmation.Length];
    int got = 0;
    while (got < buffer.Length)
    {
        got += await s.ReceiveAsync(buffer.AsMemory(got));
    }

    sockets.Add(s);
}

long expectedBytes = (long)frameSize * messages;
var watch = Stopwatch.StartNew();
var readers = sockets.Select(s => Task.Run(async () =>
{
    var buffer = new byte[256 * 1024];
    long total = 0;
    while (total < expectedBytes)
    {
        int n = await s.ReceiveAsync(buffer);
        if (n == 0)
        {
            throw new InvalidOperationException("subscriber closed");
        }

        total += n;
    }
})).ToArray();

using var publisher = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
await publisher.ConnectAsync("127.0.0.1", port);
var command = Encoding.ASCII.GetBytes($"*3\r\n$7\r\nPUBLISH\r\n${ChannelName.Length}\r\n{ChannelName}\r\n${payloadSize}\r\n{payload}\r\n");
int replySize = Encoding.ASCII.GetByteCount($":{subscribers}\r\n");
var batch = new byte[command.Length * window];
for (int i = 0; i < window; i++)
{
    command.CopyTo(batch, i * command.Length);
}

var replies = new byte[replySize * window];
for (int sent = 0; sent < messages; sent += window)
{
    int count = Math.Min(window, messages - sent);
    await publisher.SendAsync(batch.AsMemory(0, count * command.Length));
    int need = count * replySize, got = 0;
    while (got < need)
    {
        got += await publisher.ReceiveAsync(replies.AsMemory(got, need - got));
    }
}

await Task.WhenAll(readers);
double seconds = watch.Elapsed.TotalSeconds;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"subscribers={subscribers} messages={messages} payload={payloadSize} seconds={seconds:F3} messages_per_sec={messages / seconds:F0} deliveries_per_sec={messages * (double)subscribers / seconds:F0}"));
foreach (var s in sockets)
{
    s.Dispose();
}
