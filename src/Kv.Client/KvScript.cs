using System.Security.Cryptography;
using System.Text;

namespace Kv.Client;

/// <summary>
/// A Lua script run with <c>KvClient.EvalAsync</c>: sent as EVALSHA with its SHA1, and as
/// EVAL (which also caches it on the server) only when the server answers NOSCRIPT.
/// </summary>
public sealed class KvScript
{
    /// <summary>Wraps the script's source.</summary>
    public KvScript(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        Source = source;
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));
    }

    /// <summary>The Lua source.</summary>
    public string Source { get; }

    /// <summary>The lowercase hex SHA1 of the source, as SCRIPT LOAD returns it.</summary>
    public string Sha1 { get; }
}
