using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>SADD: adds members; returns how many were new.</summary>
    public ValueTask<long> SAddAsync(KvKey key, params ReadOnlySpan<KvValue> members) => Send(CommandNames.SAdd, key, members, Replies.Int64, CancellationToken.None);

    /// <summary>SREM: removes members; returns how many existed.</summary>
    public ValueTask<long> SRemAsync(KvKey key, params ReadOnlySpan<KvValue> members) => Send(CommandNames.SRem, key, members, Replies.Int64, CancellationToken.None);

    /// <summary>SMEMBERS: every member (unordered).</summary>
    public ValueTask<KvValue[]> SMembersAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.SMembers, key, Replies.Values, cancellationToken);

    /// <summary>SISMEMBER: whether <paramref name="member"/> belongs to the set.</summary>
    public ValueTask<bool> SIsMemberAsync(KvKey key, KvValue member, CancellationToken cancellationToken = default) => Send(CommandNames.SIsMember, key, member, Replies.Boolean, cancellationToken);

    /// <summary>SMISMEMBER: for each member, whether it belongs to the set.</summary>
    public ValueTask<bool[]> SMIsMemberAsync(KvKey key, params ReadOnlySpan<KvValue> members) => Send(CommandNames.SMIsMember, key, members, Replies.Booleans, CancellationToken.None);

    /// <summary>SCARD: the number of members.</summary>
    public ValueTask<long> SCardAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.SCard, key, Replies.Int64, cancellationToken);

    /// <summary>SPOP: removes and returns a random member, or <see cref="KvValue.Null"/>.</summary>
    public ValueTask<KvValue> SPopAsync(KvKey key, CancellationToken cancellationToken = default) => Send(CommandNames.SPop, key, Replies.Value, cancellationToken);

    /// <summary>SRANDMEMBER with a count: distinct random members (a negative count allows repeats).</summary>
    public ValueTask<KvValue[]> SRandMemberAsync(KvKey key, long count, CancellationToken cancellationToken = default) => Send(CommandNames.SRandMember, key, count, Replies.Values, cancellationToken);

    /// <summary>SMOVE: moves a member between sets; false when it was not in the source.</summary>
    public ValueTask<bool> SMoveAsync(KvKey source, KvKey destination, KvValue member, CancellationToken cancellationToken = default)
        => Send(CommandNames.SMove, source, destination.Value, member, Replies.Boolean, cancellationToken);

    /// <summary>SINTER: the members in every set.</summary>
    public ValueTask<KvValue[]> SInterAsync(params ReadOnlySpan<KvKey> keys) => Send(CommandNames.SInter, keys, Replies.Values, CancellationToken.None);

    /// <summary>SUNION: the members in any set.</summary>
    public ValueTask<KvValue[]> SUnionAsync(params ReadOnlySpan<KvKey> keys) => Send(CommandNames.SUnion, keys, Replies.Values, CancellationToken.None);

    /// <summary>SDIFF: the members of the first set in none of the others.</summary>
    public ValueTask<KvValue[]> SDiffAsync(params ReadOnlySpan<KvKey> keys) => Send(CommandNames.SDiff, keys, Replies.Values, CancellationToken.None);
}
