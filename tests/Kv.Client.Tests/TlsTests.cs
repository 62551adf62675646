using System.Globalization;
using System.Net.Security;
using Kv.Client.Tests.Infrastructure;

namespace Kv.Client.Tests;

/// <summary>rediss:// against a TLS-only redis-server with a CA made for the test (kv-server has no TLS listener).</summary>
public sealed class TlsTests(TlsFixture tls) : IClassFixture<TlsFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RedissWithTheServersCaRunsCommandsAndPubSub(int protocol)
    {
        var options = Options(tls.Redis.Port);
        options.Protocol = protocol;
        options.TlsCaCertificate = tls.Ca;
        await using var client = await KvClient.ConnectAsync(options);
        Assert.Equal(protocol, client.Protocol);

        string key = $"tls:{Guid.NewGuid():N}";
        Assert.True(await client.SetAsync(key, "secret"));
        Assert.Equal("secret", (await client.GetAsync(key)).ToString());
        var big = new byte[300_000];
        new Random(3).NextBytes(big);
        await client.SetAsync(key, big);
        using (var lease = await client.GetLeaseAsync(key))
        {
            Assert.True(big.AsSpan().SequenceEqual(lease!.Span));
        }

        // The subscriber's own connection is TLS too.
        string channel = $"tls:{Guid.NewGuid():N}";
        var received = new TaskCompletionSource<KvMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (await client.SubscribeAsync(channel, m => received.TrySetResult(m)))
        {
            Assert.Equal(1, await client.PublishAsync(channel, "over tls"));
            var message = await received.Task.WaitAsync(Deadline);
            Assert.Equal(channel, message.Channel);
            Assert.Equal("over tls", message.Message.ToString());
        }

        // The server sees a TLS connection: no plain-text port is open (--port 0).
        var port = await client.ExecuteAsync("CONFIG", "GET", "port");
        Assert.Equal("0", port[1].AsString());
    }

    [Fact]
    public async Task ATlsConnectionComesBackAfterTheServerRestarts()
    {
        var options = Options(tls.Redis.Port);
        options.TlsCaCertificate = tls.Ca;
        options.ReconnectMinDelay = TimeSpan.FromMilliseconds(20);
        options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(200);
        await using var client = await KvClient.ConnectAsync(options);
        var failed = new TaskCompletionSource<KvConnectionEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var restored = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.ConnectionFailed += (_, e) => failed.TrySetResult(e);
        client.ConnectionRestored += (_, _) => restored.TrySetResult();
        string key = $"tls:{Guid.NewGuid():N}";
        Assert.True(await client.SetAsync(key, "before"));

        tls.Redis.Kill();
        Assert.NotNull((await failed.Task.WaitAsync(Deadline)).Exception);
        await tls.Redis.StartAsync();
        await restored.Task.WaitAsync(Deadline);

        // A new TLS handshake on the same port; the data went with the killed process (no persistence).
        Assert.True(await client.SetAsync(key, "after").AsTask().WaitAsync(Deadline));
        Assert.Equal("after", (await client.GetAsync(key)).ToString());
    }

    [Fact]
    public async Task AWrongCaOrNoneFailsWithAClearMessage()
    {
        var wrong = Options(tls.Redis.Port);
        wrong.TlsCaCertificate = tls.OtherCa;
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(wrong));
        Assert.Contains("TLS handshake", error.Message);
        Assert.Contains("TlsCaCertificate", error.Message);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.InnerException);

        // The system's roots do not include the test CA either.
        var error2 = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(Options(tls.Redis.Port)));
        Assert.Contains("TLS handshake", error2.Message);
    }

    [Fact]
    public async Task ACertificateValidationCallbackDecidesInsteadOfTheBuiltInCheck()
    {
        SslPolicyErrors seen = SslPolicyErrors.None;
        var options = Options(tls.Redis.Port);
        options.TlsCertificateValidation = (_, certificate, _, errors) =>
        {
            seen = errors;
            return certificate is not null && certificate.GetCertHashString() == tls.ServerThumbprint;
        };
        await using (var client = await KvClient.ConnectAsync(options))
        {
            Assert.Equal("PONG", (await client.ExecuteAsync("PING")).ToString());
        }

        // The test CA is not a system root, so the built-in check found chain errors, and the callback decided.
        Assert.True(seen.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors));

        options.TlsCertificateValidation = (_, _, _, _) => false;
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(options));
        Assert.Contains("TLS handshake", error.Message);
    }

    [Fact]
    public async Task AServerThatRequiresClientCertificatesAcceptsTheConfiguredOne()
    {
        var options = Options(tls.RedisWithClientAuth.Port);
        options.TlsCaCertificate = tls.Ca;
        options.TlsClientCertificate = tls.ClientCertificate;
        await using (var client = await KvClient.ConnectAsync(options))
        {
            Assert.Equal(1, await client.IncrByAsync($"tls:{Guid.NewGuid():N}"));
        }

        // Without one, the server ends the connection (in TLS 1.3, after the client's side of the handshake).
        options.TlsClientCertificate = null;
        options.ConnectTimeout = TimeSpan.FromSeconds(5);
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(options));
        Assert.Contains("TlsClientCertificate", error.Message);
    }

    [Fact]
    public async Task APlainConnectionToATlsPortSaysToUseRediss()
    {
        var options = new KvClientOptions { Host = "127.0.0.1", Port = tls.Redis.Port, ReconnectMinDelay = TimeSpan.FromSeconds(5) };
        var error = await Assert.ThrowsAsync<KvConnectionException>(() => KvClient.ConnectAsync(options));
        Assert.Contains("rediss://", error.Message);
    }

    [Fact]
    public void RedissConnectionStringsTurnTlsOn()
    {
        var options = KvClientOptions.Parse("rediss://:pw@127.0.0.1:6380/2");
        Assert.True(options.UseTls);
        Assert.Equal(6380, options.Port);
        Assert.Equal("pw", options.Password);
        Assert.Equal(2, options.Database);
        Assert.False(KvClientOptions.Parse("redis://127.0.0.1:6380").UseTls);
    }

    private static KvClientOptions Options(int port)
    {
        var options = KvClientOptions.Parse($"rediss://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        options.ReconnectMinDelay = TimeSpan.FromSeconds(5);
        return options;
    }
}
