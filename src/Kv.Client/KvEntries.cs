namespace Kv.Client;

/// <summary>A hash field and its value.</summary>
/// <param name="Field">The field name.</param>
/// <param name="Value">The field's value.</param>
public readonly record struct KvHashEntry(KvValue Field, KvValue Value);

/// <summary>A sorted-set member and its score.</summary>
/// <param name="Member">The member.</param>
/// <param name="Score">Its score.</param>
public readonly record struct KvSortedSetEntry(KvValue Member, double Score);

/// <summary>What a (blocking) list pop took, and from which key.</summary>
/// <param name="Key">The key the values were popped from.</param>
/// <param name="Values">The values, in pop order.</param>
public sealed record KvPopResult(string Key, KvValue[] Values);

/// <summary>What a (blocking) sorted-set pop took, and from which key.</summary>
/// <param name="Key">The key the members were popped from.</param>
/// <param name="Entries">The members with their scores, in pop order.</param>
public sealed record KvSortedSetPopResult(string Key, KvSortedSetEntry[] Entries);
