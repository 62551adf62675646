using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Kv.Client.Tests.Infrastructure;

namespace WebShop.Tests.Browser;

/// <summary>
/// A headless Chromium driven over the Chrome DevTools Protocol: one page, commands sent with ids over
/// its WebSocket and matched to their responses. Waits poll a JavaScript condition until a deadline.
/// Disposing kills the browser's process tree and deletes its temporary profile.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>How long one protocol command may take before the test fails instead of hanging.</summary>
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ConcurrentQueue<string> _stderr;
    private readonly ClientWebSocket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;

    private HeadlessChromium(Process process, string profile, ConcurrentQueue<string> stderr, ClientWebSocket socket)
    {
        _process = process;
        _profile = profile;
        _stderr = stderr;
        _socket = socket;
        _receiving = Task.Run(ReceiveLoopAsync);
    }

    /// <summary>The chromium executable, or null when none is installed.</summary>
    public static string? Path => new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }
        .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(d => System.IO.Path.Combine(d, "chromium")))
        .FirstOrDefault(File.Exists);

    /// <summary>Whether browser tests run: when chromium is installed, and always under CI (where its absence fails them).</summary>
    public static bool Enabled => RedisProcess.IsCi || Path is not null;

    /// <summary>Starts chromium on about:blank and connects to its page.</summary>
    public static async Task<HeadlessChromium> LaunchAsync(TimeSpan? startTimeout = null)
    {
        string executable = Path ?? throw new InvalidOperationException("chromium is not installed: apt-get install chromium (CI=true makes this a failure, not a skip).");
        var deadline = DateTime.UtcNow + (startTimeout ?? TimeSpan.FromSeconds(20));
        string profile = Directory.CreateTempSubdirectory("chromium-").FullName;
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank",
        })
        {
            info.ArgumentList.Add(argument);
        }

        // Chromium logs freely; keep the tail for error messages and never let a full pipe block it.
        var stderr = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = info };
        process.ErrorDataReceived += (_, e) => Remember(stderr, e.Data);
        process.OutputDataReceived += (_, e) => Remember(stderr, e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        ClientWebSocket? socket = null;
        try
        {
            int port = await ReadDevToolsPortAsync(process, profile, stderr, deadline);
            var pageUrl = await FindPageAsync(port, process, stderr, deadline);
            socket = new ClientWebSocket();
            using var connectTimeout = new CancellationTokenSource(Remaining(deadline));
            await socket.ConnectAsync(pageUrl, connectTimeout.Token);
            return new HeadlessChromium(process, profile, stderr, socket);
        }
        catch
        {
            socket?.Dispose();
            await KillAsync(process);
            DeleteProfile(profile);
            throw;
        }
    }

    /// <summary>
    /// Navigates the page and waits for its load event. Content that scripts fetch afterwards is not
    /// awaited: wait for it with <see cref="WaitForAsync(string, TimeSpan?)"/>.
    /// </summary>
    public async Task NavigateAsync(Uri url)
    {
        var result = await SendAsync("Page.navigate", new { url = url.ToString() });
        if (result.TryGetProperty("errorText", out var error) && error.GetString() is { Length: > 0 } text)
        {
            throw new InvalidOperationException($"Navigating to {url} failed: {text}");
        }

        // Page.navigate answers at commit, while the new document may still be parsing.
        await WaitForAsync($"document.readyState === 'complete' && location.href === {JsonSerializer.Serialize(url.ToString())}");
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (awaiting a promise) and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true });
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"The page threw evaluating `{expression}`: {exception}");
        }

        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>
    /// Polls <paramref name="expression"/> until it returns something truthy (not null, false, 0 or "")
    /// and returns that value; fails after <paramref name="timeout"/> with the last value seen.
    /// </summary>
    public Task<JsonElement> WaitForAsync(string expression, TimeSpan? timeout = null) => WaitForAsync(expression, IsTruthy, timeout);

    /// <summary>
    /// Polls <paramref name="expression"/> until <paramref name="until"/> accepts its value and returns that
    /// value; fails after <paramref name="timeout"/> (10 s by default) naming the last value seen.
    /// </summary>
    public async Task<JsonElement> WaitForAsync(string expression, Func<JsonElement, bool> until, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var last = await EvaluateAsync(expression);
            if (until(last))
            {
                return last;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"The page did not satisfy `{expression}` within {limit}; last value: {(last.ValueKind == JsonValueKind.Undefined ? "undefined" : last.GetRawText())}.");
            }

            // Polling, not waiting for an event: the page gives no signal when its fetches have rendered.
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// Clicks the element with <paramref name="id"/> as a user would: waits until it exists and is enabled,
    /// scrolls it into view and presses and releases the left mouse button at its centre.
    /// </summary>
    public async Task ClickAsync(string id)
    {
        string element = $"document.getElementById({JsonSerializer.Serialize(id)})";
        var box = await WaitForAsync(
            $"(() => {{ const e = {element}; if (!e || e.disabled) return null; e.scrollIntoView({{ block: 'center' }}); const r = e.getBoundingClientRect(); return r.width > 0 ? {{ x: r.x + r.width / 2, y: r.y + r.height / 2 }} : null; }})()");
        double x = box.GetProperty("x").GetDouble(), y = box.GetProperty("y").GetDouble();
        await SendAsync("Input.dispatchMouseEvent", new { type = "mousePressed", x, y, button = "left", clickCount = 1 });
        await SendAsync("Input.dispatchMouseEvent", new { type = "mouseReleased", x, y, button = "left", clickCount = 1 });
    }

    /// <summary>Sends one protocol command and returns its <c>result</c>; a protocol error becomes an exception.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var response = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = response;
        try
        {
            byte[] message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
            await _sendLock.WaitAsync(_stop.Token);
            try
            {
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, _stop.Token);
            }
            finally
            {
                _sendLock.Release();
            }

            try
            {
                return await response.Task.WaitAsync(CommandTimeout);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"Chromium did not answer {method} within {CommandTimeout}.{StderrTail()}");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket.Abort();
        try
        {
            await _receiving;
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The loop ends with the socket aborted under it.
        }

        _socket.Dispose();
        await KillAsync(_process);
        DeleteProfile(_profile);
        _sendLock.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        Exception? failure = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult received;
                do
                {
                    received = await _socket.ReceiveAsync(buffer.GetMemory(16 * 1024), _stop.Token);
                    buffer.Advance(received.Count);
                }
                while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);

                if (received.MessageType == WebSocketMessageType.Close)
                {
                    failure = new InvalidOperationException("Chromium closed the DevTools connection." + StderrTail());
                    break;
                }

                Dispatch(buffer.WrittenSpan);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            // Nothing will answer the commands still waiting: fail them now rather than at their timeout.
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(failure ?? new ObjectDisposedException(nameof(HeadlessChromium)));
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;

        // Events have no id; only command responses are awaited.
        if (!root.TryGetProperty("id", out var idElement) || !_pending.TryGetValue(idElement.GetInt32(), out var pending))
        {
            return;
        }

        if (root.TryGetProperty("error", out var error))
        {
            pending.TrySetException(new InvalidOperationException("Chromium refused a command: " + error.GetRawText()));
        }
        else
        {
            pending.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
        }
    }

    /// <summary>Chromium writes the port it chose to DevToolsActivePort in its profile once it listens.</summary>
    private static async Task<int> ReadDevToolsPortAsync(Process process, string profile, ConcurrentQueue<string> stderr, DateTime deadline)
    {
        string file = System.IO.Path.Combine(profile, "DevToolsActivePort");
        while (true)
        {
            if (File.Exists(file))
            {
                string[] lines = await File.ReadAllLinesAsync(file);
                if (lines.Length >= 2 && int.TryParse(lines[0], out int port) && port > 0)
                {
                    return port;
                }
            }

            ThrowIfGone(process, stderr, deadline, "write " + file);
            await Task.Delay(50);
        }
    }

    /// <summary>The WebSocket of the about:blank page chromium opened.</summary>
    private static async Task<Uri> FindPageAsync(int port, Process process, ConcurrentQueue<string> stderr, DateTime deadline)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            var targets = await http.GetFromJsonAsync<JsonElement>("json/list");
            foreach (var target in targets.EnumerateArray())
            {
                if (target.GetProperty("type").GetString() == "page" && target.TryGetProperty("webSocketDebuggerUrl", out var url))
                {
                    return new Uri(url.GetString()!);
                }
            }

            ThrowIfGone(process, stderr, deadline, "list a page at /json/list");
            await Task.Delay(50);
        }
    }

    private static void ThrowIfGone(Process process, ConcurrentQueue<string> stderr, DateTime deadline, string what)
    {
        if (process.HasExited)
        {
            throw new InvalidOperationException($"chromium exited with code {process.ExitCode} before it could {what}.{Tail(stderr)}");
        }

        if (DateTime.UtcNow >= deadline)
        {
            throw new TimeoutException($"chromium did not {what} in time.{Tail(stderr)}");
        }
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }

    private static void Remember(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        while (lines.Count > 20 && lines.TryDequeue(out _))
        {
        }
    }

    private string StderrTail() => Tail(_stderr);

    private static string Tail(ConcurrentQueue<string> lines) => lines.IsEmpty ? "" : " chromium said:\n" + string.Join('\n', lines);

    private static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                // The tree: the renderer, GPU and utility processes go with the browser.
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Deletes the profile; a child process still closing may write into it, so a few tries.</summary>
    private static void DeleteProfile(string profile)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(profile, recursive: true);
                return;
            }
            catch (DirectoryNotFoundException)
            {
                return;
            }
            catch (IOException) when (attempt < 10)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static bool IsTruthy(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.False => false,
        JsonValueKind.Number => value.GetDouble() != 0,
        JsonValueKind.String => value.GetString()!.Length > 0,
        _ => true,
    };
}
