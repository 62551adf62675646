using System.Net.Sockets;
using System.Text;

namespace Kv.Server.Tests.Protocol;

/// <summary>A socket that sends exact bytes and reads exact bytes back, for protocol-level tests.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly List<byte> _received = [];

    private RawConnection(Socket socket) => _socket = socket;

    public static async Task<RawConnection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        return new RawConnection(socket);
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>Half-closes: the server sees end of input but can still answer.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Reads until the server closes the connection; false if it did not within the timeout.</summary>
    public async Task<(string Text, bool Closed)> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    return (Text, true);
                }

                _received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (SocketException)
        {
            return (Text, true);
        }
        catch (OperationCanceledException)
        {
            return (Text, false);
        }
    }

    /// <summary>Reads until what was received ends with <paramref name="suffix"/>.</summary>
    public async Task<string> ReadUntilAsync(string suffix, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[64 * 1024];
        while (!Text.EndsWith(suffix, StringComparison.Ordinal))
        {
            int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"Closed after: {Text}");
            }

            _received.AddRange(buffer.AsSpan(0, n).ToArray());
        }

        return Text;
    }

    public string Text => Encoding.Latin1.GetString(_received.ToArray());

    public void Dispose() => _socket.Dispose();
}
