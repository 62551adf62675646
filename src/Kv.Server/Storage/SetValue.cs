using Kv.Protocol;

namespace Kv.Server.Storage;

/// <summary>
/// A Redis set with Redis 7.0's two encodings: an intset (a sorted array of integers, iterated in
/// ascending order as Redis's intset is) while every member is an integer and there are at most
/// <c>set-max-intset-entries</c> of them, and a hashtable (<see cref="MemberTable"/>) after that, for
/// good — Redis 7.0 never converts back (and has no listpack sets; that came with 7.2).
/// </summary>
/// <remarks>
/// Members are addressed by position: an index into the intset, or a slot index of the hashtable
/// (positions below <see cref="PositionLimit"/> that are not <see cref="IsLive"/> are free slots).
/// </remarks>
internal sealed class SetValue
{
    private long[] _ints;
    private int _intCount;
    private MemberTable? _table;

    /// <summary>An empty intset, as Redis's createIntsetObject (the start of every set-algebra result).</summary>
    public SetValue()
    {
        _ints = new long[4];
    }

    private SetValue(long[] ints, int intCount, MemberTable? table)
    {
        _ints = ints;
        _intCount = intCount;
        _table = table;
    }

    public bool IsIntset => _table is null;

    public int Count => _table?.Count ?? _intCount;

    /// <summary>What OBJECT ENCODING replies.</summary>
    public string Encoding => _table is null ? "intset" : "hashtable";

    public int PositionLimit => _table?.IndexLimit ?? _intCount;

    /// <summary>Redis's setTypeCreate: an intset when the first member is an integer, else a hashtable.</summary>
    public static SetValue CreateFor(ReadOnlySpan<byte> firstMember) =>
        RespNumber.TryParseInt64(firstMember, out _) ? new SetValue() : new SetValue([], 0, new MemberTable());

    public SetValue Clone() => new(_table is null ? _ints[.._intCount] : [], _intCount, _table?.Clone());

    public bool IsLive(int position) => _table is null || _table.IsLive(position);

    /// <summary>True when the member at <paramref name="position"/> is an integer held as one.</summary>
    public bool TryGetInteger(int position, out long value)
    {
        if (_table is null)
        {
            value = _ints[position];
            return true;
        }

        return _table.TryGetInteger(position, out value);
    }

    /// <summary>The bytes of a member that <see cref="TryGetInteger"/> said is not held as an integer.</summary>
    public ReadOnlySpan<byte> BytesAt(int position) => _table!.BytesAt(position);

    /// <summary>The member at <paramref name="position"/>; integers are formatted into <paramref name="scratch"/> (20 bytes).</summary>
    public ReadOnlySpan<byte> MemberAt(int position, Span<byte> scratch)
    {
        if (_table is null)
        {
            return scratch[..RespNumber.FormatInt64(_ints[position], scratch)];
        }

        return _table.MemberAt(position, scratch);
    }

    /// <summary>Replies the member at <paramref name="position"/> as a bulk string.</summary>
    public void WriteMember(RespWriter reply, int position)
    {
        if (TryGetInteger(position, out long value))
        {
            reply.BulkInteger(value);
        }
        else
        {
            reply.Bulk(_table!.BytesAt(position));
        }
    }

    public bool Contains(ReadOnlySpan<byte> member)
    {
        if (_table is not null)
        {
            return _table.Contains(member);
        }

        return RespNumber.TryParseInt64(member, out long value) && IndexOf(value) >= 0;
    }

    public bool ContainsInteger(long value) => _table is null ? IndexOf(value) >= 0 : _table.ContainsInteger(value);

    /// <summary>True when the member at <paramref name="position"/> of <paramref name="other"/> is in this set.</summary>
    public bool ContainsMemberOf(SetValue other, int position) =>
        other.TryGetInteger(position, out long value) ? ContainsInteger(value) : (_table is not null && _table.Contains(other.BytesAt(position)));

    /// <summary>Redis's setTypeAdd: adds a member, converting to a hashtable when it is not an integer or the intset grows past <paramref name="maxIntsetEntries"/>.</summary>
    public bool Add(ReadOnlySpan<byte> member, int maxIntsetEntries)
    {
        if (_table is not null)
        {
            return _table.Add(member);
        }

        if (RespNumber.TryParseInt64(member, out long value))
        {
            return AddToIntset(value, maxIntsetEntries);
        }

        ConvertToTable();
        return _table!.Add(member);
    }

    public bool AddInteger(long value, int maxIntsetEntries) =>
        _table is null ? AddToIntset(value, maxIntsetEntries) : _table.AddInteger(value);

    /// <summary>Adds the member at <paramref name="position"/> of <paramref name="other"/>.</summary>
    public bool AddMemberOf(SetValue other, int position, int maxIntsetEntries) =>
        other.TryGetInteger(position, out long value) ? AddInteger(value, maxIntsetEntries) : Add(other.BytesAt(position), maxIntsetEntries);

    public bool Remove(ReadOnlySpan<byte> member)
    {
        if (_table is not null)
        {
            return _table.Remove(member);
        }

        if (!RespNumber.TryParseInt64(member, out long value))
        {
            return false;
        }

        return RemoveInteger(value);
    }

    public bool RemoveInteger(long value)
    {
        if (_table is not null)
        {
            Span<byte> digits = stackalloc byte[20];
            return _table.Remove(digits[..RespNumber.FormatInt64(value, digits)]);
        }

        int index = IndexOf(value);
        if (index < 0)
        {
            return false;
        }

        RemoveAt(index);
        return true;
    }

    /// <summary>Removes the member of <paramref name="other"/> at <paramref name="position"/> from this set.</summary>
    public bool RemoveMemberOf(SetValue other, int position) =>
        other.TryGetInteger(position, out long value) ? RemoveInteger(value) : (_table is not null && _table.Remove(other.BytesAt(position)));

    /// <summary>Removes the member at a live position. Positions of other members may change.</summary>
    public void RemoveAt(int position)
    {
        if (_table is not null)
        {
            _table.RemoveAt(position);
            return;
        }

        Array.Copy(_ints, position + 1, _ints, position, _intCount - position - 1);
        _intCount--;
    }

    /// <summary>A random live position (the set must not be empty).</summary>
    public int RandomPosition(Random random) => _table is null ? random.Next(_intCount) : _table.RandomIndex(random);

    private int IndexOf(long value) => Array.BinarySearch(_ints, 0, _intCount, value);

    private bool AddToIntset(long value, int maxIntsetEntries)
    {
        int index = IndexOf(value);
        if (index >= 0)
        {
            return false;
        }

        index = ~index;
        if (_intCount == _ints.Length)
        {
            Array.Resize(ref _ints, Math.Max(4, _ints.Length * 2));
        }

        Array.Copy(_ints, index, _ints, index + 1, _intCount - index);
        _ints[index] = value;
        _intCount++;

        // Redis converts once the intset holds more than set-max-intset-entries members.
        if (_intCount > maxIntsetEntries)
        {
            ConvertToTable();
        }

        return true;
    }

    private void ConvertToTable()
    {
        var table = new MemberTable(_intCount);
        for (int i = 0; i < _intCount; i++)
        {
            table.AddInteger(_ints[i]);
        }

        _table = table;
        _ints = [];
        _intCount = 0;
    }
}
