using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Kv.Server.Tests.Infrastructure;

/// <summary>
/// A deliberately plain RESP client over a socket: sends commands as multibulk (or raw bytes) and
/// reads replies one at a time. Tests use it against kv-server and redis-server alike.
/// </summary>
public sealed class RespTestClient : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RespTestClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RespTestClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RespTestClient(tcp);
    }

    /// <summary>Connects from <paramref name="localAddress"/> (such as 127.0.0.2, which Redis does not count as local).</summary>
    public static async Task<RespTestClient> ConnectFromAsync(string localAddress, int port)
    {
        var tcp = new TcpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(localAddress), 0)) { NoDelay = true };
        await tcp.ConnectAsync("127.0.0.1", port);
        return new RespTestClient(tcp);
    }

    /// <summary>Reads until the server closes the connection (or the timeout passes); returns what it sent meanwhile.</summary>
    public async Task<string> ReadUntilClosedAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var text = new StringBuilder(Encoding.Latin1.GetString(_buffer, _start, _end - _start));
        _start = _end = 0;
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(_buffer, cts.Token);
                if (n == 0)
                {
                    return text.ToString();
                }

                text.Append(Encoding.Latin1.GetString(_buffer, 0, n));
            }
        }
        catch (IOException)
        {
            return text.ToString();
        }
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async Task<RespReply> SendAsync(params object[] args)
    {
        await WriteCommandAsync(args);
        return await ReadReplyAsync();
    }

    /// <summary>Sends one command; does not wait for the reply.</summary>
    public Task WriteCommandAsync(params object[] args) => WriteRawAsync(Encode(args));

    public async Task WriteRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public Task WriteRawAsync(string text) => WriteRawAsync(Encoding.UTF8.GetBytes(text));

    public static byte[] Encode(params object[] args)
    {
        using var ms = new MemoryStream();
        void Write(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            ms.Write(b, 0, b.Length);
        }

        Write($"*{args.Length}\r\n");
        foreach (var arg in args)
        {
            byte[] bytes = arg switch
            {
                byte[] raw => raw,
                string s => Encoding.UTF8.GetBytes(s),
                IFormattable f => Encoding.UTF8.GetBytes(f.ToString(null, CultureInfo.InvariantCulture)),
                _ => Encoding.UTF8.GetBytes(arg.ToString() ?? ""),
            };
            Write($"${bytes.Length}\r\n");
            ms.Write(bytes, 0, bytes.Length);
            Write("\r\n");
        }

        return ms.ToArray();
    }

    /// <summary>Reads one reply (push frames included), failing after a timeout instead of hanging.</summary>
    public async Task<RespReply> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await ReadAsync(cts.Token);
    }

    /// <summary>True when the server closed the connection (reads return 0 bytes) within the timeout.</summary>
    public async Task<bool> IsClosedByServerAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            while (true)
            {
                int n = await _stream.ReadAsync(_buffer, cts.Token);
                if (n == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<RespReply> ReadAsync(CancellationToken token)
    {
        string line = await ReadLineAsync(token);
        char type = line[0];
        string rest = line[1..];
        switch (type)
        {
            case '+' or '-' or ',' or '(' or '#':
                return new RespReply(type, rest, 0, null);
            case ':':
                return new RespReply(':', rest, long.Parse(rest, CultureInfo.InvariantCulture), null);
            case '_':
                return new RespReply('_', null, 0, null);
            case '$' or '=' or '!':
            {
                int length = int.Parse(rest, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return new RespReply('$', null, 0, null);
                }

                var bytes = await ReadExactAsync(length + 2, token);
                var payload = bytes[..length];
                return new RespReply(type, Encoding.UTF8.GetString(payload), 0, null, payload);
            }

            case '*' or '%' or '~' or '>' or '|':
            {
                int count = int.Parse(rest, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return new RespReply('*', null, 0, null);
                }

                if (type == '%')
                {
                    count *= 2;
                }

                var items = new List<RespReply>(count);
                for (int i = 0; i < count; i++)
                {
                    items.Add(await ReadAsync(token));
                }

                return new RespReply(type, null, count, items);
            }

            default:
                throw new InvalidDataException($"Unexpected RESP type '{type}' in line '{line}'");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken token)
    {
        while (true)
        {
            int idx = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (idx >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, idx - _start).TrimEnd('\r');
                _start = idx + 1;
                return line;
            }

            await FillAsync(token);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken token)
    {
        var result = new byte[count];
        int copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(token);
            }

            int take = Math.Min(count - copied, _end - _start);
            Array.Copy(_buffer, _start, result, copied, take);
            _start += take;
            copied += take;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken token)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("Reply line longer than the test client's buffer.");
        }

        int n = await _stream.ReadAsync(_buffer.AsMemory(_end), token);
        if (n == 0)
        {
            throw new EndOfStreamException("The server closed the connection.");
        }

        _end += n;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
