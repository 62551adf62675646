namespace Kv.Client;

/// <summary>A published message.</summary>
/// <param name="Channel">The channel it was published to.</param>
/// <param name="Message">The payload.</param>
/// <param name="Pattern">The pattern that matched, for pattern subscriptions; otherwise null.</param>
public readonly record struct KvMessage(string Channel, KvValue Message, string? Pattern);

/// <summary>What to subscribe to: a channel name, or a glob pattern (PSUBSCRIBE). A string converts to a channel name.</summary>
public readonly record struct KvChannel
{
    private KvChannel(string name, bool isPattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        IsPattern = isPattern;
    }

    /// <summary>The channel name or the pattern.</summary>
    public string Name { get; }

    /// <summary>True for a pattern subscription.</summary>
    public bool IsPattern { get; }

    /// <summary>A channel name (SUBSCRIBE).</summary>
    public static implicit operator KvChannel(string name) => Literal(name);

    /// <summary>A channel name (SUBSCRIBE).</summary>
    public static KvChannel Literal(string name) => new(name, false);

    /// <summary>A glob pattern such as <c>news.*</c> (PSUBSCRIBE).</summary>
    public static KvChannel Pattern(string pattern) => new(pattern, true);

    /// <inheritdoc/>
    public override string ToString() => IsPattern ? $"pattern {Name}" : Name;
}
