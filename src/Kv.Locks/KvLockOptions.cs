namespace Kv.Locks;

/// <summary>How <see cref="KvDistributedLockProvider"/> keeps its locks. Set through <c>AddKvLocks(o => …)</c> or passed to the provider's constructor.</summary>
public sealed class KvLockOptions
{
    /// <summary>
    /// How long a lease lasts on the server without renewal: the longest a crashed holder keeps others
    /// out. Renewals extend it while the handle is held. Default: 30 s.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a held lease is extended; null (default) renews every third of <see cref="Lease"/>, so two renewals may fail before it runs out.</summary>
    public TimeSpan? RenewalInterval { get; set; }

    /// <summary>
    /// The longest a handle may hold its lock: renewals stop there and <see cref="IDistributedLockHandle.LostToken"/>
    /// fires when the last lease runs out, so a holder stuck in a loop cannot keep the lock forever.
    /// Null (default): no limit.
    /// </summary>
    public TimeSpan? MaxHoldTime { get; set; }

    /// <summary>
    /// The fallback poll of a waiter, for releases it was not told of (a lease that expired, a lost
    /// notification): it asks again within this interval (jittered, and sooner when the lease ends sooner).
    /// Waiters that stop asking for three intervals are dropped from the queue. Default: 1 s.
    /// </summary>
    public TimeSpan WaitPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The prefix of every key and channel. The lock <c>cart:42</c> lives at <c>kvlock:{cart:42}</c>
    /// (its fencing counter at <c>…:fence</c>, its queue at <c>…:queue</c> and <c>…:waiters</c>, its
    /// release notifications on the channel <c>…:released</c>); a semaphore at <c>kvlock:{name}:sem</c>.
    /// The braces are a Redis Cluster hash tag, so a lock's keys share a slot. Default: <c>kvlock:</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "kvlock:";

    /// <summary>The renewal interval in effect.</summary>
    internal TimeSpan EffectiveRenewalInterval => RenewalInterval ?? Lease / 3;

    internal KvLockOptions Clone() => (KvLockOptions)MemberwiseClone();

    /// <exception cref="ArgumentException">An option is out of range.</exception>
    internal void Validate()
    {
        if (Lease < TimeSpan.FromMilliseconds(10))
        {
            throw new ArgumentException($"KvLockOptions.Lease must be at least 10 ms (it is {Lease}).", nameof(Lease));
        }

        var renewal = EffectiveRenewalInterval;
        if (renewal <= TimeSpan.Zero || renewal >= Lease)
        {
            throw new ArgumentException($"KvLockOptions.RenewalInterval must be positive and shorter than Lease ({Lease}), or the lease runs out between renewals (it is {renewal}).", nameof(RenewalInterval));
        }

        if (MaxHoldTime is { } max && max <= TimeSpan.Zero)
        {
            throw new ArgumentException($"KvLockOptions.MaxHoldTime must be positive, or null for no limit (it is {max}).", nameof(MaxHoldTime));
        }

        if (WaitPollInterval < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentException($"KvLockOptions.WaitPollInterval must be at least 1 ms (it is {WaitPollInterval}).", nameof(WaitPollInterval));
        }

        ArgumentNullException.ThrowIfNull(KeyPrefix, nameof(KeyPrefix));
    }
}
