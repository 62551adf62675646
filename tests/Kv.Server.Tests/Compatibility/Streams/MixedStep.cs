namespace Kv.Server.Tests.Compatibility.Streams;

/// <summary>How the replies to one step of the mixed-type stream are compared.</summary>
public enum MixedReplyKind
{
    /// <summary>Byte for byte.</summary>
    Exact,

    /// <summary>The same elements in any order (KEYS).</summary>
    Unordered,

    /// <summary>A remaining time in seconds (TTL): within a second.</summary>
    Seconds,

    /// <summary>A remaining time in milliseconds (PTTL): within a second.</summary>
    Milliseconds,

    /// <summary>RANDOMKEY: both nil or both a value.</summary>
    NilOrValue,

    /// <summary>HGETALL/HKEYS/HVALS: exact for a listpack (insertion order), as a multiset for a hashtable.</summary>
    WholeHash,

    /// <summary>SMEMBERS/SINTER/SUNION/SDIFF: exact when every source is an intset (ascending order), else as a set.</summary>
    SetOrder,

    /// <summary>SPOP/SRANDMEMBER: shape, count, membership, distinctness; a set SPOP left different is rebuilt on kv-server.</summary>
    SetRandom,

    /// <summary>HRANDFIELD / ZRANDMEMBER: shape and count.</summary>
    HashRandom,

    /// <summary>SCAN over the keyspace (options only): full iterations compared as key sets.</summary>
    KeyScan,

    /// <summary>
    /// HSCAN/SSCAN/ZSCAN with options only (the cursor is supplied): a small encoding answered whole
    /// in one call is compared exactly, otherwise full iterations are compared as sets of elements.
    /// </summary>
    ElementScan,

    /// <summary>
    /// A lex range over a sorted set (SourceKeys[0]): exact, except that over a skiplist whose scores are
    /// not all equal Redis's answer depends on the random node levels (two redis-servers disagree), so the
    /// step is skipped there.
    /// </summary>
    LexRange,
}

/// <summary>One generated command of the mixed stream.</summary>
/// <param name="Args">The command, name first.</param>
/// <param name="Kind">How to compare the replies.</param>
/// <param name="SourceKeys">For <see cref="MixedReplyKind.SetOrder"/>: the keys whose encodings decide the order.</param>
/// <param name="BuildsResult">SUNION/SDIFF: the reply walks a new set, an intset only within set-max-intset-entries.</param>
public sealed record MixedStep(object[] Args, MixedReplyKind Kind = MixedReplyKind.Exact, object[]? SourceKeys = null, bool BuildsResult = false);

/// <summary>A family of commands in the mixed stream and its share of the steps.</summary>
/// <param name="Name">For failure messages and coverage.</param>
/// <param name="Weight">Relative frequency.</param>
/// <param name="Next">Draws one step.</param>
public sealed record MixedSource(string Name, int Weight, Func<CommandStream, MixedStep> Next);
