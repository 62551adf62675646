namespace Kv.Server.Tests.Infrastructure;

/// <summary>
/// A <see cref="TimeProvider"/> that starts at a fixed instant and moves only by <see cref="Advance"/>:
/// expiry and idle times are tested by moving the clock, never by sleeping.
/// </summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_000).UtcTicks;

    public long UnixMilliseconds => GetUtcNow().ToUnixTimeMilliseconds();

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
