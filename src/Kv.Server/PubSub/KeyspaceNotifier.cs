using System.Buffers.Text;
using System.Runtime.CompilerServices;
using Kv.Server.Configuration;

namespace Kv.Server.PubSub;

/// <summary>
/// Redis's notifyKeyspaceEvent: a write's event goes to <c>__keyspace@&lt;db&gt;__:&lt;key&gt;</c>
/// (message: the event) and <c>__keyevent@&lt;db&gt;__:&lt;event&gt;</c> (message: the key), as
/// notify-keyspace-events selects. Runs under the keyspace lock; channel names are built in one
/// reused buffer.
/// </summary>
internal sealed class KeyspaceNotifier
{
    private readonly ServerConfig _config;
    private readonly PubSubHub _hub;
    private byte[] _channel = new byte[128];

    public KeyspaceNotifier(ServerConfig config, PubSubHub hub)
    {
        _config = config;
        _hub = hub;
    }

    /// <summary>Publishes the event when its class is enabled; otherwise a single test.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Notify(int eventClass, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> key, int db)
    {
        int flags = _config.NotifyKeyspaceEvents;
        if ((flags & eventClass) != 0)
        {
            Publish(flags, eventName, key, db);
        }
    }

    private void Publish(int flags, ReadOnlySpan<byte> eventName, ReadOnlySpan<byte> key, int db)
    {
        if ((flags & KeyspaceEvents.Keyspace) != 0)
        {
            _hub.Publish(Channel("__keyspace@"u8, db, key), eventName);
        }

        if ((flags & KeyspaceEvents.Keyevent) != 0)
        {
            _hub.Publish(Channel("__keyevent@"u8, db, eventName), key);
        }
    }

    private ReadOnlySpan<byte> Channel(ReadOnlySpan<byte> prefix, int db, ReadOnlySpan<byte> suffix)
    {
        int needed = prefix.Length + 11 + 3 + suffix.Length;
        if (_channel.Length < needed)
        {
            _channel = new byte[Math.Max(needed, _channel.Length * 2)];
        }

        var span = _channel.AsSpan();
        prefix.CopyTo(span);
        int length = prefix.Length;
        Utf8Formatter.TryFormat(db, span[length..], out int digits);
        length += digits;
        "__:"u8.CopyTo(span[length..]);
        length += 3;
        suffix.CopyTo(span[length..]);
        return span[..(length + suffix.Length)];
    }
}
