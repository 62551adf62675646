using Microsoft.Extensions.Logging;

namespace Kv.Server;

/// <summary>Settings for an embedded <see cref="KvServer"/>. Anything not named here can be given in redis.conf form through <see cref="Arguments"/>.</summary>
public sealed class KvServerOptions
{
    /// <summary>TCP port; 0 picks a free one (read <see cref="KvServer.Port"/> after start). Default 6379.</summary>
    public int Port { get; set; } = 6379;

    /// <summary>Addresses to listen on. Default: loopback only.</summary>
    public IList<string> Bind { get; set; } = ["127.0.0.1"];

    /// <summary>Password clients must give with AUTH or HELLO; null or empty for none.</summary>
    public string? RequirePass { get; set; }

    /// <summary>Number of databases (SELECT 0…n-1). Default 16.</summary>
    public int Databases { get; set; } = 16;

    /// <summary>Further settings as redis-server takes them on its command line, for example <c>["--hz", "100"]</c>; a first element without <c>--</c> is a config file.</summary>
    public IList<string> Arguments { get; set; } = [];

    /// <summary>The clock behind expiry; tests pass a fake one to move time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the server logs; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
