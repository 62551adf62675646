using Kv.Client;

namespace Kv.Locks.Internal;

/// <summary>One lock or semaphore: its keys (sharing the hash tag <c>{name}</c>), its release channel and its scripts.</summary>
internal sealed class LockTarget
{
    public LockTarget(string prefix, string name, int maxCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        MaxCount = maxCount;
        string root = maxCount == 0 ? $"{prefix}{{{name}}}" : $"{prefix}{{{name}}}:sem";
        Keys = [root, root + ":fence", root + ":queue", root + ":waiters"];
        Channel = root + ":released";
    }

    public string Name { get; }

    /// <summary>0 for a lock; the slot count for a semaphore.</summary>
    public int MaxCount { get; }

    public bool IsSemaphore => MaxCount > 0;

    /// <summary>Holder, fencing counter, queue, waiter registrations: KEYS[1..4] of every script.</summary>
    public KvKey[] Keys { get; }

    public string Channel { get; }

    public string Kind => IsSemaphore ? "semaphore" : "lock";
}
