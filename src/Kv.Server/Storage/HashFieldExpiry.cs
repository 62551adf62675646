using Kv.Server.Configuration;
namespace Kv.Server.Storage;

/// <summary>
/// Active expiry of hash fields (Redis 7.4's activeExpireCycle over db->hexpires): sample the
/// hashes that have fields with a TTL, delete the expired fields, and the key with its last field.
/// Runs under the keyspace lock, from <see cref="ServerCron"/>.
/// </summary>
internal static class HashFieldExpiry
{
    // Fields sampled per hash per round, as ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP for keys.
    private const int FieldsPerLoop = 20;

    // A hash where most sampled fields are expired is sampled again, up to this many fields per visit.
    private const int MaxFieldsPerVisit = 1000;

    /// <summary>One sampling round over at most <paramref name="hashesPerLoop"/> hashes; returns fields deleted.</summary>
    public static int Cycle(Database db, long now, Random random, int hashesPerLoop)
    {
        var index = db.VolatileHashes;
        var table = db.Table;
        int sampled = Math.Min(hashesPerLoop, index.Count);
        int deleted = 0;
        for (int n = 0; n < sampled && index.Count > 0; n++)
        {
            int slot = random.Next(index.Count);
            int entry = table.Find(index.At(slot));
            if (entry < 0 || table.ValueAt(entry) is not HashValue { VolatileCount: > 0 } hash)
            {
                // A stale hint: the key went away, was renamed or overwritten, or lost its field TTLs.
                index.RemoveAt(slot);
                continue;
            }

            int expired = ExpireFields(hash, now, random);
            deleted += expired;
            if (expired > 0)
            {
                // Redis 7.4: one "hexpired" per hash a round expired fields of, "del" when it emptied.
                db.Keyspace.Modified(db, index.At(slot), KeyspaceEvents.Hash, "hexpired"u8);
            }

            if (hash.Count == 0)
            {
                table.RemoveAt(entry);
                db.Keyspace.Modified(db, index.At(slot), KeyspaceEvents.Generic, "del"u8);
                index.RemoveAt(slot);
            }
            else if (hash.VolatileCount == 0)
            {
                index.RemoveAt(slot);
            }
        }

        return deleted;
    }

    private static int ExpireFields(HashValue hash, long now, Random random)
    {
        int deleted = 0;
        while (hash.VolatileCount > 0 && deleted < MaxFieldsPerVisit)
        {
            int sample = Math.Min(FieldsPerLoop, hash.VolatileCount);
            int expired = 0;
            for (int i = 0; i < sample && hash.VolatileCount > 0; i++)
            {
                int field = hash.VolatileAt(random.Next(hash.VolatileCount));
                if (hash.IsExpired(field, now))
                {
                    hash.RemoveAt(field);
                    expired++;
                }
            }

            deleted += expired;
            // Go on while more than a quarter of the sample was stale, as Redis's key cycle does.
            if (expired * 4 <= sample)
            {
                break;
            }
        }

        return deleted;
    }
}
