namespace Kv.Client;

/// <summary>
/// A key: text (sent as UTF-8) or bytes (referenced, not copied). Keys are binary-safe on the
/// server, so bytes and the text they encode name the same key.
/// </summary>
public readonly struct KvKey : IEquatable<KvKey>
{
    private readonly KvValue _value;

    private KvKey(KvValue value) => _value = value;

    /// <summary>The key as text or bytes.</summary>
    public static implicit operator KvKey(string value) => new(value ?? throw new ArgumentNullException(nameof(value), "A key cannot be null."));

    /// <summary>The key's bytes, referenced without a copy.</summary>
    public static implicit operator KvKey(byte[] value) => new(value ?? throw new ArgumentNullException(nameof(value), "A key cannot be null."));

    /// <summary>The key's bytes, referenced without a copy.</summary>
    public static implicit operator KvKey(ReadOnlyMemory<byte> value) => new(value);

    /// <summary>The key as a value, for commands that take key names as arguments.</summary>
    public static implicit operator KvValue(KvKey key) => key._value;

    /// <summary>Byte-wise equality.</summary>
    public static bool operator ==(KvKey left, KvKey right) => left.Equals(right);

    /// <summary>Byte-wise inequality.</summary>
    public static bool operator !=(KvKey left, KvKey right) => !left.Equals(right);

    /// <summary>The key as a value (for commands that take keys as arguments).</summary>
    public KvValue Value => _value;

    /// <summary>The key as UTF-8 text.</summary>
    public override string ToString() => _value.ToString();

    /// <inheritdoc/>
    public bool Equals(KvKey other) => _value.Equals(other._value);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is KvKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _value.GetHashCode();
}
