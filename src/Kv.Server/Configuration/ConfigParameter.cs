namespace Kv.Server.Configuration;

/// <summary>
/// One redis.conf directive: how to read it, how to set it (from the config file, the command
/// line or CONFIG SET) and whether it can change at run time.
/// </summary>
internal sealed class ConfigParameter
{
    public ConfigParameter(string name, Func<string> get, Func<string, string?> set, bool mutable = true, params string[] aliases)
    {
        Name = name;
        Get = get;
        Set = set;
        Mutable = mutable;
        Aliases = aliases;
    }

    /// <summary>The redis.conf name, lower case.</summary>
    public string Name { get; }

    /// <summary>Older names accepted too (such as <c>hash-max-ziplist-entries</c>).</summary>
    public string[] Aliases { get; }

    /// <summary>The value as CONFIG GET prints it.</summary>
    public Func<string> Get { get; }

    /// <summary>Applies a value; returns null, or the reason it was refused.</summary>
    public Func<string, string?> Set { get; }

    /// <summary>False for directives Redis only takes at start-up (CONFIG SET answers "can't set immutable config").</summary>
    public bool Mutable { get; }

    /// <summary>
    /// True for directives Redis protects (<c>dir</c>…): CONFIG SET refuses them unless
    /// <c>enable-protected-configs</c> allows it ("can't set protected config").
    /// </summary>
    public bool Protected { get; init; }
}
