namespace Kv.Client;

/// <summary>When a write applies (SET's and ZADD's NX/XX).</summary>
public enum KvWhen
{
    /// <summary>Always.</summary>
    Always,

    /// <summary>Only when the key (or member) does not exist yet (NX).</summary>
    NotExists,

    /// <summary>Only when the key (or member) already exists (XX).</summary>
    Exists,
}

/// <summary>How ZRANGE reads its start and stop arguments.</summary>
public enum KvRangeBy
{
    /// <summary>0-based ranks; negative counts from the end (the default).</summary>
    Rank,

    /// <summary>Scores (BYSCORE): numbers, <c>-inf</c>, <c>+inf</c>, or <c>(1.5</c> for exclusive.</summary>
    Score,

    /// <summary>Lexicographic (BYLEX): <c>[a</c> inclusive, <c>(a</c> exclusive, <c>-</c> and <c>+</c> for the ends.</summary>
    Lex,
}

/// <summary>The forms of ZRANGE: by rank, score or lex, reversed, paged with LIMIT.</summary>
/// <param name="By">How start and stop are read.</param>
/// <param name="Reverse">REV: from the highest to the lowest.</param>
/// <param name="Offset">LIMIT's offset (Score and Lex only).</param>
/// <param name="Count">LIMIT's count (Score and Lex only); null for no LIMIT, negative for all from the offset.</param>
public readonly record struct KvRangeOptions(KvRangeBy By = KvRangeBy.Rank, bool Reverse = false, long Offset = 0, long? Count = null);
