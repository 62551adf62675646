using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace Kv.Client.Tests.Infrastructure;

/// <summary>
/// A throwaway CA, a server certificate for 127.0.0.1/localhost and a client certificate made with
/// openssl, a second CA that signed nothing here, and two TLS-only redis-servers using them: one that
/// asks for no client certificate and one that requires it (redis-server's default). kv-server has no
/// TLS listener, so these tests run against redis-server only; a missing redis-server, one built
/// without TLS, or a missing openssl fails them with the reason, never skips them.
/// </summary>
public sealed class TlsFixture : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"kv-client-tls-{Guid.NewGuid():N}");

    public RedisProcess Redis { get; private set; } = null!;

    public RedisProcess RedisWithClientAuth { get; private set; } = null!;

    public X509Certificate2 Ca { get; private set; } = null!;

    public X509Certificate2 OtherCa { get; private set; } = null!;

    public X509Certificate2 ClientCertificate { get; private set; } = null!;

    /// <summary>The SHA-1 thumbprint of the server's certificate (hex), as <see cref="X509Certificate.GetCertHashString()"/> gives it.</summary>
    public string ServerThumbprint { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (RedisProcess.Path is null)
        {
            throw new InvalidOperationException($"The TLS tests need redis-server, which is not installed: {RedisProcess.InstallHint}.");
        }

        Directory.CreateDirectory(_folder);
        await MakeCertificatesAsync();
        // CreateFromPemFile without a key file looks for the key in the certificate's file: these have none.
        Ca = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(File("ca.crt")));
        OtherCa = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(File("other-ca.crt")));
        ClientCertificate = X509Certificate2.CreateFromPemFile(File("client.crt"), File("client.key"));
        using (var server = X509Certificate2.CreateFromPem(System.IO.File.ReadAllText(File("server.crt"))))
        {
            ServerThumbprint = server.GetCertHashString();
        }

        Redis = await StartRedisAsync("no");
        RedisWithClientAuth = await StartRedisAsync("yes");
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }

        if (RedisWithClientAuth is not null)
        {
            await RedisWithClientAuth.DisposeAsync();
        }

        Ca?.Dispose();
        OtherCa?.Dispose();
        ClientCertificate?.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string File(string name) => Path.Combine(_folder, name);

    private async Task<RedisProcess> StartRedisAsync(string authClients)
    {
        try
        {
            return await RedisProcess.StartAsync(
                "--port", "0", "--tls-port", "{port}",
                "--tls-cert-file", File("server.crt"), "--tls-key-file", File("server.key"),
                "--tls-ca-cert-file", File("ca.crt"), "--tls-auth-clients", authClients);
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException(
                $"redis-server ({RedisProcess.Path}) did not start with TLS; it must be built with TLS support (Debian's redis-server package is). {ex.InnerException?.Message ?? ex.Message}",
                ex);
        }
    }

    private async Task MakeCertificatesAsync()
    {
        // P-256 keys: quick to generate, and accepted by redis-server and SslStream alike.
        string[] newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        await OpenSslAsync(["req", "-x509", .. newKey, "-keyout", File("ca.key"), "-out", File("ca.crt"), "-days", "2", "-subj", "/CN=Kv.Client test CA"]);
        await OpenSslAsync(["req", "-x509", .. newKey, "-keyout", File("other-ca.key"), "-out", File("other-ca.crt"), "-days", "2", "-subj", "/CN=Kv.Client other CA"]);
        await System.IO.File.WriteAllTextAsync(File("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        await System.IO.File.WriteAllTextAsync(File("client.ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n");
        foreach (string name in new[] { "server", "client" })
        {
            await OpenSslAsync(["req", .. newKey, "-keyout", File($"{name}.key"), "-out", File($"{name}.csr"), "-subj", $"/CN=Kv.Client test {name}"]);
            await OpenSslAsync(["x509", "-req", "-in", File($"{name}.csr"), "-CA", File("ca.crt"), "-CAkey", File("ca.key"), "-CAcreateserial", "-out", File($"{name}.crt"), "-days", "2", "-extfile", File($"{name}.ext")]);
        }
    }

    private static async Task OpenSslAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The TLS tests make their certificates with openssl, which is not installed: apt-get install -y openssl.", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            string error = await process.StandardError.ReadToEndAsync();
            await output;
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"openssl {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {error}");
            }
        }
    }
}
