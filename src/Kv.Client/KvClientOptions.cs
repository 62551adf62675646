using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kv.Client;

/// <summary>Where and how <see cref="KvClient"/> connects. Parse a connection string with <see cref="Parse"/>.</summary>
public sealed class KvClientOptions
{
    /// <summary>The server's host name or IP address. Default: <c>localhost</c>.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>The server's TCP port. Default: 6379.</summary>
    public int Port { get; set; } = 6379;

    /// <summary>The ACL user name (Redis 6+); null authenticates as <c>default</c> when a password is set.</summary>
    public string? User { get; set; }

    /// <summary>The password; null for servers without authentication.</summary>
    public string? Password { get; set; }

    /// <summary>The database selected on every connection (SELECT). Default: 0.</summary>
    public int Database { get; set; }

    /// <summary>The connection name the server shows in CLIENT LIST (CLIENT SETNAME); null for none.</summary>
    public string? ClientName { get; set; }

    /// <summary>
    /// Use TLS (<c>rediss://</c>). The server's certificate must be valid for <see cref="Host"/> and
    /// trusted by the system's certificate store, unless <see cref="TlsCaCertificate"/> or
    /// <see cref="TlsCertificateValidation"/> says otherwise.
    /// </summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// With <see cref="UseTls"/>: trust server certificates issued by this CA (and by no other), as
    /// redis-cli's <c>--cacert</c>; for servers with a private or self-signed CA. The host name is
    /// still checked against the certificate. Null (default): the system's trusted roots.
    /// </summary>
    public X509Certificate2? TlsCaCertificate { get; set; }

    /// <summary>
    /// With <see cref="UseTls"/>: decides whether the server's certificate is accepted, replacing the
    /// built-in check (including <see cref="TlsCaCertificate"/>); the <see cref="SslPolicyErrors"/>
    /// it receives say what the built-in check found. Null (default): the built-in check.
    /// </summary>
    public RemoteCertificateValidationCallback? TlsCertificateValidation { get; set; }

    /// <summary>
    /// With <see cref="UseTls"/>: the certificate (with its private key) presented to servers that
    /// require client certificates (redis-server's default <c>tls-auth-clients yes</c>). Null: none.
    /// </summary>
    public X509Certificate2? TlsClientCertificate { get; set; }

    /// <summary>The RESP version asked for with HELLO: 3 (default; RESP2 is used when the server does not know HELLO) or 2.</summary>
    public int Protocol { get; set; } = 3;

    /// <summary>How long connecting (TCP, TLS and the handshake) may take before an attempt fails. Default: 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a command may wait for its reply, including the time spent waiting for a
    /// reconnection, before it fails. Default: 5 s. <see cref="Timeout.InfiniteTimeSpan"/> waits forever.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first delay before reconnecting; it doubles with each failed attempt, with random jitter. Default: 100 ms.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between reconnection attempts. Default: 10 s.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Opens each connection instead of a TCP socket to <see cref="Host"/>:<see cref="Port"/>: for a
    /// server in the same process (an embedded <c>KvServer</c>'s in-memory pipe) or a custom tunnel.
    /// The client completes both directions of the pipe to close it. Host and port still name the
    /// server in messages; <see cref="UseTls"/> does not apply. Null (default): TCP.
    /// </summary>
    public Func<CancellationToken, ValueTask<System.IO.Pipelines.IDuplexPipe>>? ConnectCallback { get; set; }

    /// <summary>
    /// Client-side caching: when set, the server notifies the client of changes to the keys it read
    /// (<c>CLIENT TRACKING</c>), raised as <see cref="KvClient.Invalidated"/>. With RESP3 the
    /// notifications arrive on the main connection, in order with replies; with RESP2 they are
    /// redirected to the subscriber connection. Null (default): off, nothing is sent.
    /// </summary>
    public KvTrackingOptions? Tracking { get; set; }

    /// <summary>Which socket pipes to use; internal so benchmarks can compare them.</summary>
    internal TransportKind Transport { get; set; } = TransportKind.SocketConnection;

    /// <summary>
    /// Parses <c>redis://[user:password@]host[:port][/database]</c>, <c>rediss://…</c> (TLS) or
    /// <c>host[:port]</c>. User and password are URL-decoded; a password alone may be given as
    /// <c>redis://:password@host</c>.
    /// </summary>
    /// <exception cref="FormatException">The string is not one of these forms.</exception>
    public static KvClientOptions Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var options = new KvClientOptions();
        string text = connectionString.Trim();
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            (options.Host, options.Port) = ParseHostPort(text, connectionString);
            return options;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss"))
        {
            throw new FormatException($"'{connectionString}' is not a connection string: use redis://[user:password@]host[:port][/db], rediss://… for TLS, or host:port.");
        }

        options.UseTls = uri.Scheme == "rediss";
        options.Host = uri.Host.Length > 0 ? uri.Host.Trim('[', ']') : "localhost";
        options.Port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            string user = colon < 0 ? "" : Uri.UnescapeDataString(uri.UserInfo[..colon]);
            string password = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[(colon + 1)..]);
            options.User = user.Length > 0 ? user : null;
            options.Password = password;
        }

        string path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out int db))
            {
                throw new FormatException($"'{connectionString}': the path '/{path}' must be a database number, as in redis://host:6379/0.");
            }

            options.Database = db;
        }

        return options;
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("KvClientOptions.Host is empty: set the server's host name or address.", nameof(Host));
        }

        if (Port is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "KvClientOptions.Port must be between 1 and 65535.");
        }

        if (Protocol is not (2 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(Protocol), Protocol, "KvClientOptions.Protocol must be 2 or 3.");
        }

        if (Database < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Database), Database, "KvClientOptions.Database cannot be negative.");
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "KvClientOptions.ConnectTimeout must be positive.");
        }

        if (CommandTimeout <= TimeSpan.Zero && CommandTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "KvClientOptions.CommandTimeout must be positive or Timeout.InfiniteTimeSpan.");
        }

        Tracking?.Validate();
    }

    internal KvClientOptions Clone()
    {
        var clone = (KvClientOptions)MemberwiseClone();

        // The client keeps its own copy: changing the caller's prefixes later must not change what a reconnection asks for.
        clone.Tracking = Tracking?.Clone();
        return clone;
    }

    internal string EndPointText => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    private static (string Host, int Port) ParseHostPort(string text, string original)
    {
        int colon = text.LastIndexOf(':');
        if (colon < 0 || (text.StartsWith('[') && !text[..colon].EndsWith(']')))
        {
            return (text.Trim('[', ']'), 6379);
        }

        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            throw new FormatException($"'{original}' has no valid port: write host:port, such as localhost:6379.");
        }

        return (text[..colon].Trim('[', ']'), port);
    }
}

/// <summary>The socket pipe implementation.</summary>
internal enum TransportKind
{
    /// <summary>Pipelines.Sockets.Unofficial's SocketConnection.</summary>
    SocketConnection,

    /// <summary>The BCL's PipeReader.Create / PipeWriter.Create over a NetworkStream.</summary>
    Stream,
}
