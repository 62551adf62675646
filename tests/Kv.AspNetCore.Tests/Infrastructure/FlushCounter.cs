using System.IO.Pipelines;
using System.Net;
using Kv.Client;
using Pipelines.Sockets.Unofficial;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Counts the writes a <see cref="KvClient"/> sends (the flushes of its connection's output), so a
/// test can tell that a batch went in one round trip: the client's writer flushes once for
/// everything queued together, and nothing else (no heartbeat) writes on an idle connection.
/// </summary>
public sealed class FlushCounter
{
    private int _flushes;

    public int Flushes => Volatile.Read(ref _flushes);

    /// <summary>A client of the server at 127.0.0.1:<paramref name="port"/> whose writes this counter counts; connected (handshake done) when returned.</summary>
    public async Task<KvClient> ConnectAsync(int port)
    {
        var options = new KvClientOptions
        {
            Host = "127.0.0.1",
            Port = port,
            ConnectCallback = async _ => new CountedPipe(await SocketConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)), this),
        };
        return await KvClient.ConnectAsync(options);
    }

    private sealed class CountedPipe(IDuplexPipe inner, FlushCounter counter) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;

        public PipeWriter Output { get; } = new CountedWriter(inner.Output, counter);
    }

    private sealed class CountedWriter(PipeWriter inner, FlushCounter counter) : PipeWriter
    {
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref counter._flushes);
            return inner.FlushAsync(cancellationToken);
        }
    }
}
