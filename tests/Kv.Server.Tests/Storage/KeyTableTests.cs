using System.Runtime.CompilerServices;
using System.Text;
using Kv.Server.Storage;

namespace Kv.Server.Tests.Storage;

/// <summary>
/// The key table's compact layout: 32-byte entries, key and string value in one native block, expiry
/// times kept only for keys with a TTL. Each representation change must keep the key findable and
/// the value and TTL intact.
/// </summary>
public sealed class KeyTableTests
{
    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    private static string S(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

    private static int AddString(KeyTable table, string key, string value)
        => table.AddString(B(key), KeyTable.Hash(B(key)), B(value));

    private static string StringAt(KeyTable table, int index)
    {
        Assert.True(table.TryGetString(index, out var bytes));
        return S(bytes);
    }

    [Fact]
    public void EntriesAreTwentyFourBytes()
    {
        // Plus 8 for the value slot on the GC heap: 32 a key, as before the entries moved to native memory.
        Assert.Equal(24, Unsafe.SizeOf<KeyEntry>());
    }

    [Fact]
    public void EnsureCapacityKeepsIndicesAndKeys()
    {
        var table = new KeyTable();
        var indices = new int[100];
        for (int i = 0; i < indices.Length; i++)
        {
            var key = B("key" + i);
            indices[i] = table.AddString(key, KeyTable.Hash(key), B("v" + i));
        }

        table.EnsureCapacity(5000);
        table.EnsureCapacity(10); // never shrinks
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.Equal(indices[i], table.Find(B("key" + i)));
            Assert.True(table.TryGetString(indices[i], out var value));
            Assert.Equal("v" + i, Encoding.ASCII.GetString(value));
        }

        var added = B("after");
        int index = table.AddString(added, KeyTable.Hash(added), B("x"));
        Assert.Equal(index, table.Find(added));
        Assert.Equal(101, table.Count);
    }

    [Fact]
    public void AStringLivesInTheKeysBlock()
    {
        var table = new KeyTable();
        int index = AddString(table, "key:1", "val:1");
        ref var entry = ref table.At(index);
        Assert.True(entry.IsInlineString);
        Assert.Equal("key:1", S(entry.Key));
        Assert.Equal("val:1", StringAt(table, index));
        Assert.Equal(index, table.Find(B("key:1")));
        Assert.Equal(-1, table.Find(B("key:1val:1")));
        Assert.Equal("val:1", S((byte[])table.ValueAt(index)));
        Assert.Equal("string", S(table.TypeNameAt(index)));
    }

    [Fact]
    public unsafe void SetStringRewritesInPlaceOrMovesToANewBlock()
    {
        var table = new KeyTable();
        int index = AddString(table, "k", "abc");
        nint block = (nint)table.At(index).Block;
        table.SetString(index, B("xyz"));
        Assert.Equal(block, (nint)table.At(index).Block);
        Assert.Equal("xyz", StringAt(table, index));

        table.SetString(index, B("longer value"));
        Assert.True(table.At(index).IsInlineString);
        Assert.Equal("longer value", StringAt(table, index));

        var large = new byte[100_000];
        large[^1] = 7;
        table.SetString(index, large);
        Assert.True(table.At(index).IsInlineString);
        Assert.Equal("k", S(table.At(index).Key));
        Assert.Equal(large, (byte[])table.ValueAt(index));

        table.SetString(index, B(""));
        Assert.Equal("", StringAt(table, index));
        Assert.Equal(index, table.Find(B("k")));
    }

    [Fact]
    public void LongKeysWork()
    {
        var table = new KeyTable();
        string key = new('k', 100_000);
        int index = AddString(table, key, "v");
        Assert.Equal(index, table.Find(B(key)));
        Assert.Equal(key, S(table.At(index).Key));
        Assert.Equal("v", StringAt(table, index));
    }

    [Fact]
    public void AnotherTypeKeepsOnlyTheKeyInTheBlock()
    {
        var table = new KeyTable();
        int index = AddString(table, "key:2", "val:2");
        var hash = new object();
        table.Replace(index, hash);
        Assert.False(table.At(index).IsInlineString);
        Assert.Same(hash, table.ValueAt(index));
        Assert.Equal("key:2", S(table.At(index).Key));
        Assert.Equal(index, table.Find(B("key:2")));
        Assert.False(table.TryGetString(index, out _));

        table.SetString(index, B("back"));
        Assert.True(table.At(index).IsInlineString);
        Assert.Equal("back", StringAt(table, index));
        Assert.Equal(index, table.Find(B("key:2")));
    }

    [Fact]
    public void DroppedBlocksStayReadableUntilReleased()
    {
        var releases = new BlockReleases();
        var table = new KeyTable(releases);
        int index = AddString(table, "key:4", "first value");
        Assert.True(table.TryGetString(index, out var old));
        var key = table.At(index).Key;

        // What GETSET, GETDEL or an expiry notification may still read after the change.
        table.SetString(index, B("second, longer value"));
        Assert.Equal("first value", S(old));
        table.RemoveAt(index);
        Assert.Equal("key:4", S(key));
        Assert.True(releases.Pending);

        releases.FreeAll();
        Assert.False(releases.Pending);
        Assert.Equal(-1, table.Find(B("key:4")));
    }

    [Fact]
    public void ARetiredTableIsFreedWithTheCommandsReleases()
    {
        var releases = new BlockReleases();
        var table = new KeyTable(releases);
        int index = AddString(table, "key:5", "v");
        table.Retire();
        Assert.True(releases.Pending);
        Assert.False(table.At(index).IsFree); // still readable until the command ends
        releases.FreeAll();
        Assert.Equal(0, table.Count); // its native memory is freed too: a late reader finds nothing
        Assert.Equal(-1, table.Find(B("key:5")));
        Assert.Equal(0, table.IndexLimit);
    }

    [Fact]
    public unsafe void SmallCollectionsRestInTheKeysBlockBetweenBatches()
    {
        var releases = new BlockReleases();
        var table = new KeyTable(releases);
        var zset = SortedSet.Create(listpack: true);
        zset.Insert(B("alice"), 1);
        zset.Insert(B("bob"), 2.5);
        var hash = HashValue.Create();
        hash.Set(B("user"), B("u1"));
        var list = ListValue.Create();
        list.PushTail(B("a"));
        list.PushTail(B("b"));
        int z = table.Add(B("z"), KeyTable.Hash(B("z")), zset);
        int h = table.Add(B("h"), KeyTable.Hash(B("h")), hash);
        int l = table.Add(B("l"), KeyTable.Hash(B("l")), list);
        var set = SetValue.CreateFor(B("12"));
        set.Add(B("12"), 512);
        set.Add(B("-7"), 512);
        int s = table.Add(B("s"), KeyTable.Hash(B("s")), set);
        Assert.Same(zset, table.RawValueAt(z)); // the batch that made them still holds them

        releases.FreeAll();
        Assert.Same(InlineValue.SortedSet, table.RawValueAt(z));
        Assert.Same(InlineValue.Hash, table.RawValueAt(h));
        Assert.Same(InlineValue.List, table.RawValueAt(l));
        Assert.Same(InlineValue.Set, table.RawValueAt(s));
        Assert.Equal("zset", S(table.TypeNameAt(z)));
        Assert.Equal("list", S(table.TypeNameAt(l)));
        Assert.False(table.TryGetString(z, out _));
        Assert.False(table.IsString(h));

        // A reader outside the command path gets a copy; the entry stays inline.
        var copy = (HashValue)table.ValueAt(h);
        Assert.Equal("u1", S(copy.ValueAt(copy.Find(B("user")))));
        Assert.Same(InlineValue.Hash, table.RawValueAt(h));

        // Find hands commands the object, with its contents.
        Assert.Equal(z, table.Find(B("z")));
        var expanded = Assert.IsType<SortedSet>(table.RawValueAt(z));
        Assert.True(expanded.TryGetScore(B("bob"), out double score));
        Assert.Equal(2.5, score);
        Assert.Equal(l, table.Find(B("l")));
        var expandedList = Assert.IsType<ListValue>(table.RawValueAt(l));
        Assert.Equal(2, expandedList.Count);
        Assert.Equal("b", S(expandedList.Tail));
        Assert.Equal(s, table.Find(B("s")));
        var expandedSet = Assert.IsType<SetValue>(table.RawValueAt(s));
        Assert.True(expandedSet.IsIntset);
        Assert.Equal(2, expandedSet.Count);
        Assert.True(expandedSet.Contains(B("-7")));

        // Grown past the inline form, it stays an object, and the block keeps only the key.
        for (int i = 0; i < 40; i++)
        {
            expanded.Insert(B("member-with-a-long-name-" + i), i);
        }

        releases.FreeAll();
        Assert.Same(expanded, table.RawValueAt(z));
        Assert.Equal(KeyBlock.AllocatedBytes(1, 0), KeyBlock.AllocatedBytes(table.At(z).Block));
        Assert.Same(InlineValue.List, table.RawValueAt(l));

        // Shrunk again (the command's own Find registers it), it goes back inline.
        Assert.Equal(z, table.Find(B("z")));
        for (int i = 0; i < 40; i++)
        {
            expanded.Remove(B("member-with-a-long-name-" + i));
        }

        releases.FreeAll();
        Assert.Same(InlineValue.SortedSet, table.RawValueAt(z));
        Assert.Equal(z, table.Find(B("z")));
        var back = Assert.IsType<SortedSet>(table.RawValueAt(z));
        Assert.Equal(2, back.Count);
        Assert.Equal("alice", S(back.MemberAt(back.First)));

        // Counted at what the block holds, not twice while expanded.
        long estimate = table.EstimatedBytes;
        releases.FreeAll();
        Assert.Equal(estimate, table.EstimatedBytes);
        table.RemoveAt(z);
        table.RemoveAt(h);
        table.RemoveAt(l);
        table.RemoveAt(s);
        releases.FreeAll();
        Assert.Equal(0, table.EstimatedBytes);
        Assert.Equal(0, table.DroppedObjectBytes);
    }

    [Fact]
    public void ToMutableKeepsTheBytesAndTheKey()
    {
        var table = new KeyTable();
        int index = AddString(table, "key:3", "abc");
        var mutable = table.ToMutable(index, 10);
        mutable.Append(B("def"));
        Assert.Same(mutable, table.ValueAt(index));
        Assert.Equal("abcdef", StringAt(table, index));
        Assert.Equal(index, table.Find(B("key:3")));
    }

    [Fact]
    public void OnlyVolatileKeysHoldAnExpiry()
    {
        var table = new KeyTable();
        int a = AddString(table, "a", "1");
        int b = AddString(table, "b", "2");
        int c = AddString(table, "c", "3");
        Assert.Equal(0, table.ExpiresAt(a));
        table.SetExpiry(a, 1000);
        table.SetExpiry(b, 2000);
        table.SetExpiry(c, 3000);
        table.SetExpiry(b, 2500);
        Assert.Equal(3, table.VolatileCount);
        Assert.Equal(2500, table.ExpiresAt(b));
        // Past its expiry only after the millisecond itself, as Redis's keyIsExpired (now > when).
        Assert.False(table.IsDue(a, 1000));
        Assert.True(table.IsDue(a, 1001));
        Assert.False(table.IsDue(b, 2000));

        // Removing a volatile key moves the last slot into its place; the moved key keeps its expiry.
        table.RemoveAt(a);
        Assert.Equal(2, table.VolatileCount);
        Assert.Equal(2500, table.ExpiresAt(b));
        Assert.Equal(3000, table.ExpiresAt(c));
        for (int slot = 0; slot < table.VolatileCount; slot++)
        {
            ref readonly var key = ref table.VolatileAt(slot);
            Assert.Equal(key.ExpiresAt, table.ExpiresAt(key.Index));
        }

        table.SetExpiry(c, 0);
        Assert.Equal(1, table.VolatileCount);
        Assert.Equal(0, table.ExpiresAt(c));
        Assert.False(table.IsDue(c, long.MaxValue));
        Assert.Equal(b, table.VolatileAt(0).Index);
    }

    [Fact]
    public void ReusedSlotsStartClean()
    {
        var table = new KeyTable();
        int a = AddString(table, "a", "1");
        table.SetExpiry(a, 5);
        table.At(a).LastAccess = 77;
        table.RemoveAt(a);
        Assert.True(table.At(a).IsFree);
        int b = table.Add(B("b"), KeyTable.Hash(B("b")), B("2"));
        Assert.Equal(a, b);
        Assert.Equal(0, table.ExpiresAt(b));
        Assert.Equal(0u, table.At(b).LastAccess);
        Assert.True(table.At(b).IsInlineString);
        Assert.Equal("2", StringAt(table, b));
    }

    [Fact]
    public void ManyKeysSurviveGrowth()
    {
        var table = new KeyTable();
        for (int i = 0; i < 5000; i++)
        {
            AddString(table, "key:" + i, "val:" + i);
        }

        for (int i = 0; i < 5000; i++)
        {
            int index = table.Find(B("key:" + i));
            Assert.True(index >= 0);
            Assert.Equal("val:" + i, StringAt(table, index));
        }
    }

    [Fact]
    public void AccessClockWrapsAsRedisLruClock()
    {
        Assert.Equal(Database.ClockMax, Database.Clock((long)Database.ClockMax * 1000));
        Assert.Equal(0u, Database.Clock((Database.ClockMax + 1L) * 1000));
        Assert.Equal(5u, Database.IdleSeconds(10, 15));
        Assert.Equal(3u, Database.IdleSeconds(Database.ClockMax - 1, 2));
    }
}
