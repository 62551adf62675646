using System.Text;
using Kv.Server.Storage;

namespace Kv.Server.Tests.Storage;

/// <summary>The key hash spreads typical keys evenly over a table's buckets and tells near keys apart.</summary>
public sealed class KeyHashTests
{
    [Fact]
    public void SequentialKeysSpreadEvenlyOverBuckets()
    {
        const int Keys = 100_000;
        var buckets = new int[1 << 16];
        var seen = new HashSet<int>();
        int collisions = 0;
        for (int i = 0; i < Keys; i++)
        {
            int hash = KeyHash.Of(Encoding.ASCII.GetBytes("key:" + i));
            Assert.True(hash >= 0);
            buckets[hash & (buckets.Length - 1)]++;
            if (!seen.Add(hash))
            {
                collisions++;
            }
        }

        // 100k keys in 2^31 values: about 2 full collisions expected; 65,536 buckets at load 1.5: a
        // bucket of 12 has a probability below 1e-7 with a uniform hash.
        Assert.True(collisions < 20, $"{collisions} collisions");
        Assert.True(buckets.Max() < 12, $"a bucket holds {buckets.Max()} keys");
    }

    [Fact]
    public void EveryLengthAndEveryByteCounts()
    {
        // Sets of at most 71 hashes: a chance collision of a uniform 31-bit hash is below 1e-4 in all.
        var zeros = new HashSet<int>();
        for (int length = 0; length <= 70; length++)
        {
            var key = new byte[length];
            Assert.True(zeros.Add(KeyHash.Of(key)), $"zeros of length {length}");
            var flipped = new HashSet<int> { KeyHash.Of(key) };
            for (int at = 0; at < length; at++)
            {
                key[at] = 1;
                Assert.True(flipped.Add(KeyHash.Of(key)), $"length {length}, byte {at}");
                key[at] = 0;
            }
        }
    }
}
