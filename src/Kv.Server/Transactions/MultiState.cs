using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Network;
using Kv.Server.Storage;

namespace Kv.Server.Transactions;

/// <summary>
/// One client's transaction state (Redis's mstate plus the MULTI, DIRTY_CAS and DIRTY_EXEC flags
/// and the watched_keys list). Made on the client's first MULTI or WATCH and reused after.
/// </summary>
internal sealed class MultiState : IWatcher
{
    // A transaction's copied arguments stay allocated for the next one unless they grew past this.
    private const int KeepBytes = 64 * 1024;

    private readonly ClientSession _client;
    private readonly ArgRangeList _ranges = new(16);
    private readonly List<QueuedCommand> _commands = new(8);
    private readonly List<WatchedKey> _watched = new(4);
    private byte[] _data = new byte[256];
    private int _length;

    public MultiState(ClientSession client) => _client = client;

    /// <summary>Between MULTI and EXEC/DISCARD (CLIENT_MULTI, flag 'x').</summary>
    public bool Active { get; private set; }

    /// <summary>A command was rejected while queuing: EXEC answers EXECABORT (CLIENT_DIRTY_EXEC).</summary>
    public bool DirtyExec { get; private set; }

    /// <summary>A watched key was touched: EXEC answers null (CLIENT_DIRTY_CAS, flag 'd').</summary>
    public bool DirtyCas { get; private set; }

    public int Count => _commands.Count;

    /// <summary>A queued command runs Lua: EXEC moves off the socket thread first.</summary>
    public bool RunsScripts { get; private set; }

    public int WatchedCount => _watched.Count;

    /// <summary>The copied arguments of every queued command.</summary>
    public ReadOnlyMemory<byte> Source => _data.AsMemory(0, _length);

    public ArgRangeList Ranges => _ranges;

    public QueuedCommand this[int index] => _commands[index];

    public void Begin()
    {
        Active = true;
        _client.MultiQueued = 0;
    }

    /// <summary>Redis's flagTransaction: an error while queuing dooms the EXEC.</summary>
    public void FlagError()
    {
        if (Active)
        {
            DirtyExec = true;
        }
    }

    public void MarkDirty(bool unwatch)
    {
        DirtyCas = true;
        if (unwatch)
        {
            // Redis unwatches a dirty client at once: further touches cannot change the outcome.
            UnwatchAll();
        }
    }

    /// <summary>Copies the command's arguments (the receive buffer is reused) and queues it.</summary>
    public void Queue(CommandContext c, CommandDefinition command)
    {
        int first = _ranges.Count;
        for (int i = 0; i < c.ArgCount; i++)
        {
            var arg = c.Arg(i);
            if (_length + arg.Length > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(_data.Length * 2, _length + arg.Length));
            }

            arg.CopyTo(_data.AsSpan(_length));
            _ranges.Add(new ArgRange(_length, arg.Length));
            _length += arg.Length;
        }

        _commands.Add(new QueuedCommand(command, first, c.ArgCount));
        RunsScripts |= command.RunsScripts || command.Parent is { RunsScripts: true };
        _client.MultiQueued = _commands.Count;
    }

    /// <summary>Redis's watchForKey; a key already watched in that database is not added twice.</summary>
    public void Watch(Database db, ReadOnlySpan<byte> key, long now)
    {
        foreach (var existing in _watched)
        {
            if (ReferenceEquals(existing.Db, db) && key.SequenceEqual(existing.Key))
            {
                return;
            }
        }

        // keyIsExpired, not a lookup: WATCH does not delete an expired key.
        int index = db.Table.Find(key);
        var watch = new WatchedKey(key.ToArray(), db, this, index >= 0 && db.Table.IsDue(index, now));
        db.Watched.Add(watch);
        _watched.Add(watch);
    }

    /// <summary>Redis's isWatchedKeyExpired: a watched key that expired since WATCH counts as changed.</summary>
    public bool IsWatchedKeyExpired(long now)
    {
        foreach (var watch in _watched)
        {
            if (watch.WasExpired)
            {
                continue;
            }

            int index = watch.Db.Table.Find(watch.Key);
            if (index >= 0 && watch.Db.Table.IsDue(index, now))
            {
                return true;
            }
        }

        return false;
    }

    public void UnwatchAll()
    {
        foreach (var watch in _watched)
        {
            watch.Db.Watched.Remove(watch);
        }

        _watched.Clear();
    }

    /// <summary>UNWATCH: forgets the watches and their verdict.</summary>
    public void Unwatch()
    {
        UnwatchAll();
        DirtyCas = false;
    }

    /// <summary>Redis's discardTransaction: ends MULTI, drops the queue, the flags and the watches.</summary>
    public void Discard()
    {
        _commands.Clear();
        RunsScripts = false;
        _ranges.Clear();
        _length = 0;
        if (_data.Length > KeepBytes)
        {
            _data = new byte[256];
        }

        Active = false;
        DirtyExec = false;
        DirtyCas = false;
        _client.MultiQueued = -1;
        UnwatchAll();
    }
}

/// <summary>A queued command: its resolved definition and where its copied arguments are.</summary>
internal readonly record struct QueuedCommand(CommandDefinition Command, int FirstArg, int ArgCount);
