namespace Kv.AspNetCore;

/// <summary>
/// Where the Kv building blocks keep their data: an embedded server inside the app (the default, with
/// no <see cref="Endpoint"/>) or an external kv-server, Redis, Valkey or Garnet. Bound from the
/// configuration section <c>Kv</c> (<c>Kv:Endpoint</c>, <c>Kv:Embedded:MaxMemory</c>, <c>Kv:Cache:InstanceName</c>…);
/// <c>ConnectionStrings:Kv</c> is used when <c>Kv:Endpoint</c> is not set. Validated when the host starts.
/// </summary>
public sealed class KvOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Kv";

    /// <summary>
    /// The server to use: <c>redis://[user:password@]host[:port][/db]</c>, <c>rediss://…</c> (TLS) or
    /// <c>host:port</c>. Null or empty (default): start a Kv server inside the app (<see cref="Embedded"/>).
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>The in-process server used when <see cref="Endpoint"/> is not set.</summary>
    public KvEmbeddedServerOptions Embedded { get; set; } = new();

    /// <summary>The distributed cache (<c>AddKvCache</c>).</summary>
    public KvCacheOptions Cache { get; set; } = new();

    /// <summary>How long connecting may take before an attempt fails. Default: 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a command may wait for its reply (including a reconnection) before it fails. Default: 5 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when no endpoint is configured and the app hosts its own server.</summary>
    public bool IsEmbedded => string.IsNullOrWhiteSpace(Endpoint);
}
