using System.Net;
using System.Net.Sockets;

namespace Kv.Client.Tests.Infrastructure;

/// <summary>A TCP listener that answers each connection with a scripted behaviour: garbage, silence, canned replies.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;

    public FakeServer(Func<NetworkStream, CancellationToken, Task> onConnection)
    {
        _listener.Start();
        _accept = AcceptAsync(onConnection);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Answers the client's connect handshake: HELLO alone, then the two CLIENT SETINFO together.</summary>
    public static async Task AnswerHandshakeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        await ReadRequestAsync(stream, cancellationToken);
        await stream.WriteAsync("%1\r\n+server\r\n+fake\r\n"u8.ToArray(), cancellationToken);
        await ReadRequestAsync(stream, cancellationToken);
        await stream.WriteAsync("+OK\r\n+OK\r\n"u8.ToArray(), cancellationToken);
    }

    /// <summary>Reads one request (enough bytes to hold a command) and returns what was read.</summary>
    public static async Task<string> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        int n = await stream.ReadAsync(buffer, cancellationToken);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, n);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(Func<NetworkStream, CancellationToken, Task> onConnection)
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            _ = Task.Run(async () =>
            {
                using var stream = new NetworkStream(socket, ownsSocket: true);
                try
                {
                    await onConnection(stream, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
                {
                }
            });
        }
    }
}
