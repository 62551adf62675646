using Kv.Server.Storage;

namespace Kv.Server.Tests.Storage;

/// <summary>
/// The keyspace clock (Stopwatch plus a calibrated wall offset) gives the wall clock's own millisecond:
/// never behind a wall-clock read made before it (an EXPIREAT of now + 1 h must not read back as a TTL
/// over an hour), and not ahead of one made after it (TIME and key expiry are the same clock).
/// </summary>
public sealed class KeyspaceClockTests
{
    [Fact]
    public void ClockReadsTheWallClocksMillisecond()
    {
        var keyspace = new Keyspace(1, TimeProvider.System);
        int ahead = 0;
        for (int i = 0; i < 2_000; i++)
        {
            if (i % 100 == 0)
            {
                keyspace.CalibrateClock();
            }

            long wallBefore = UnixMicroseconds();
            long micros = keyspace.NowMicroseconds;
            long millis = keyspace.NowMilliseconds;
            long wallAfter = UnixMicroseconds();
            Assert.True(micros >= wallBefore, $"clock {micros} µs behind the wall clock read before it ({wallBefore} µs)");
            Assert.True(millis >= wallBefore / 1000, $"clock {millis} ms behind the wall clock read before it ({wallBefore} µs)");

            // Ahead by at most the calibration's bracket (tens of µs at worst), never the old whole millisecond.
            Assert.True(micros <= wallAfter + 200, $"clock {micros} µs ahead of the wall clock read after it ({wallAfter} µs)");
            if (millis > wallAfter / 1000)
            {
                ahead++;
            }
        }

        // A millisecond ahead only when a read falls within the bracket before a millisecond's end.
        Assert.True(ahead < 100, $"{ahead} of 2000 reads were a millisecond ahead of the wall clock");
    }

    private static long UnixMicroseconds() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
}
