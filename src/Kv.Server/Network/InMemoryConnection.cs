using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Kv.Server.Network;

/// <summary>
/// A client connection inside the process: two pipes instead of a socket, served by the same
/// connection handler as a TCP client (an embedding app's client skips the loopback stack). The
/// server reads <see cref="Transport"/>; the client holds <see cref="Application"/>.
/// </summary>
internal sealed class InMemoryConnection : ConnectionContext
{
    private static long s_nextId;
    private readonly Pipe _toServer;
    private readonly Pipe _toClient;
    private readonly CancellationTokenSource _closed = new();

    public InMemoryConnection()
    {
        // Each side's continuations run on the thread pool, as a socket's would: the server never runs
        // a command on the caller's stack, and a reply never runs the caller's continuation inside the
        // server's flush.
        _toServer = new Pipe(new PipeOptions(useSynchronizationContext: false));
        _toClient = new Pipe(new PipeOptions(useSynchronizationContext: false));
        Transport = new DuplexPipe(_toServer.Reader, _toClient.Writer);
        Application = new DuplexPipe(_toClient.Reader, _toServer.Writer);
        ConnectionId = "inmemory-" + Interlocked.Increment(ref s_nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        ConnectionClosed = _closed.Token;
    }

    /// <summary>The client's side: it writes commands to <c>Output</c> and reads replies from <c>Input</c>.</summary>
    public IDuplexPipe Application { get; }

    public override IDuplexPipe Transport { get; set; }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features { get; } = new FeatureCollection();

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    /// <summary>CLIENT KILL and the server's stop: the server's read fails as a reset socket's would, and the client sees its input end.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        _toServer.Writer.Complete(abortReason);
        _closed.Cancel();
    }

    public override async ValueTask DisposeAsync()
    {
        // The server is done with its side: the client reads the end of the stream.
        await _toClient.Writer.CompleteAsync().ConfigureAwait(false);
        await _toServer.Reader.CompleteAsync().ConfigureAwait(false);
        _closed.Cancel();
        _closed.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
