using System.Security.Cryptography;

namespace Kv.Server.Scripting;

/// <summary>Script flags of a <c>#!lua flags=…</c> shebang or <c>redis.register_function</c> (Redis's SCRIPT_FLAG_*).</summary>
[Flags]
internal enum ScriptFlags
{
    None = 0,
    NoWrites = 1,
    AllowOom = 2,
    AllowStale = 4,
    NoCluster = 8,
    AllowCrossSlotKeys = 16,

    /// <summary>An EVAL script without a shebang: it may write, and EVAL_RO runs it read-only (Redis's EVAL_COMPAT_MODE).</summary>
    EvalCompatibility = 32,
}

/// <summary>A compiled EVAL script.</summary>
internal sealed class CachedScript(string sha, byte[] body, int functionRef, ScriptFlags flags)
{
    public string Sha { get; } = sha;

    public byte[] Body { get; } = body;

    /// <summary>The compiled function in the eval Lua state's registry.</summary>
    public int FunctionRef { get; } = functionRef;

    public ScriptFlags Flags { get; } = flags;
}

/// <summary>EVAL's script cache, by SHA1 of the body in lowercase hex (SCRIPT LOAD, EXISTS, FLUSH).</summary>
internal sealed class ScriptCache
{
    private readonly Dictionary<string, CachedScript> _scripts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CachedScript>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public ScriptCache() => _lookup = _scripts.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _scripts.Count;

    /// <summary>Bytes of script bodies held (INFO used_memory_scripts_eval).</summary>
    public long BodyBytes { get; private set; }

    /// <summary>Finds a script by its SHA1 in hex, either case, without allocating.</summary>
    public CachedScript? Find(ReadOnlySpan<byte> sha)
    {
        if (sha.Length != 40)
        {
            return null;
        }

        Span<char> lower = stackalloc char[40];
        for (int i = 0; i < 40; i++)
        {
            byte b = sha[i];
            lower[i] = (char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b);
        }

        return _lookup.TryGetValue(lower, out var script) ? script : null;
    }

    public void Add(CachedScript script)
    {
        _scripts[script.Sha] = script;
        BodyBytes += script.Body.Length;
    }

    /// <summary>Empties the cache; returns what it held so the caller can free the compiled functions.</summary>
    public List<CachedScript> Clear()
    {
        var all = new List<CachedScript>(_scripts.Values);
        _scripts.Clear();
        BodyBytes = 0;
        return all;
    }

    /// <summary>SHA1 of <paramref name="data"/> as 40 lowercase hex characters (Redis's sha1hex).</summary>
    public static void Sha1Hex(ReadOnlySpan<byte> data, Span<byte> hex)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        const string digits = "0123456789abcdef";
        for (int i = 0; i < 20; i++)
        {
            hex[i * 2] = (byte)digits[hash[i] >> 4];
            hex[(i * 2) + 1] = (byte)digits[hash[i] & 15];
        }
    }
}
