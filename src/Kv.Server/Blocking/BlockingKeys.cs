using System.Buffers;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Storage;

namespace Kv.Server.Blocking;

/// <summary>
/// Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, later BZPOPMIN and XREAD BLOCK): per (db, key)
/// FIFO queues, the keys made ready by writes, and serving them after each top-level command — Redis's
/// blockForKeys, signalKeyAsReady and handleClientsBlockedOnKeys. Everything here runs under the keyspace lock.
/// </summary>
internal sealed class BlockingKeys
{
    private readonly Keyspace _keyspace;
    private readonly Dictionary<byte[], WaitQueue>[] _queues;
    private readonly Dictionary<long, Waiter> _byClient = new();
    private List<WaitQueue> _ready = new();
    private List<WaitQueue> _serving = new();
    private readonly TimerCallback _timeOut;

    public BlockingKeys(Keyspace keyspace, int databases)
    {
        _keyspace = keyspace;
        _queues = new Dictionary<byte[], WaitQueue>[databases];
        for (int i = 0; i < databases; i++)
        {
            _queues[i] = new Dictionary<byte[], WaitQueue>(ByteKeyComparer.Instance);
        }

        _timeOut = state => TimeOut((Waiter)state!);
    }

    /// <summary>Clients blocked now (INFO blocked_clients counts the sessions' flags; this is the same number).</summary>
    public int BlockedClients => _byClient.Count;

    /// <summary>True when a write made a waited-on key ready and its waiters have not been served yet.</summary>
    public bool HasReady => _ready.Count > 0;

    /// <summary>
    /// A write made <paramref name="key"/> hold something (Redis's signalKeyAsReady). Costs one
    /// comparison when nobody is blocked.
    /// </summary>
    public void SignalReady(int db, ReadOnlySpan<byte> key)
    {
        if (_byClient.Count == 0)
        {
            return;
        }

        if (_queues[db].GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var queue) && !queue.Ready)
        {
            queue.Ready = true;
            _ready.Add(queue);
        }
    }

    /// <summary>
    /// Every waited-on key of <paramref name="db"/> may hold something new (SWAPDB exchanged the
    /// data under it, Redis's scanDatabaseForReadyKeys): their waiters try again.
    /// </summary>
    public void SignalDatabase(int db)
    {
        if (_byClient.Count == 0)
        {
            return;
        }

        foreach (var queue in _queues[db].Values)
        {
            if (!queue.Ready)
            {
                queue.Ready = true;
                _ready.Add(queue);
            }
        }
    }

    /// <summary>
    /// Called by a blocking handler that could not serve now: blocks the client on the keys at
    /// <paramref name="firstKey"/>, <paramref name="firstKey"/>+<paramref name="keyStep"/>, … (<paramref name="keyCount"/> of them)
    /// until <paramref name="deadline"/> (unix ms, 0 = forever). When the command is being run again
    /// for a waiter it only reports that it still cannot serve. Replies nothing.
    /// </summary>
    public void Block(CommandContext c, int firstKey, int keyCount, int keyStep, long deadline, Type valueType)
    {
        if (c.ServingWaiter is not null)
        {
            c.Unserved = true;
            return;
        }

        var connection = c.BlockingHost ?? throw new InvalidOperationException("This context cannot block.");
        var waiter = connection.CreateWaiter(c.Command, c.Client.Db, valueType);

        // The arguments live in the receive buffer only until the batch ends: copy them.
        int total = 0;
        for (int i = 0; i < c.ArgCount; i++)
        {
            total += c.Arg(i).Length;
        }

        var data = new byte[total];
        int offset = 0;
        for (int i = 0; i < c.ArgCount; i++)
        {
            var arg = c.Arg(i);
            arg.CopyTo(data.AsSpan(offset));
            waiter.Ranges.Add(new ArgRange(offset, arg.Length));
            offset += arg.Length;
        }

        waiter.Arguments = data;
        var queues = _queues[c.Client.Db];
        for (int k = 0, index = firstKey; k < keyCount; k++, index += keyStep)
        {
            var key = c.Arg(index);
            var lookup = queues.GetAlternateLookup<ReadOnlySpan<byte>>();
            if (!lookup.TryGetValue(key, out var queue))
            {
                var copy = key.ToArray();
                queue = new WaitQueue(c.Client.Db, copy);
                queues.Add(copy, queue);
            }
            else if (Contains(waiter, queue))
            {
                continue; // BLPOP k k 0 waits on k once, as Redis's dictAdd of bpop.keys
            }

            waiter.Nodes.Add(queue.Waiters.AddLast(waiter));
        }

        _byClient[c.Client.Id] = waiter;
        c.Client.Blocked = true;
        c.BlockedOn = waiter;
        if (deadline > 0)
        {
            var due = TimeSpan.FromMilliseconds(Math.Max(0, deadline - c.Now));
            waiter.Timer = _keyspace.Time.CreateTimer(_timeOut, waiter, due, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Serves the waiters of every ready key, oldest first, until no key is ready (Redis's handleClientsBlockedOnKeys).</summary>
    public void ServeReady(long now)
    {
        while (_ready.Count > 0)
        {
            (_ready, _serving) = (_serving, _ready);
            foreach (var queue in _serving)
            {
                queue.Ready = false;
                var db = _keyspace.Databases[queue.Db];
                while (queue.Waiters.First is { } node)
                {
                    var waiter = node.Value;
                    var value = db.Peek(queue.Key, now) is int index and >= 0 ? db.Table.ValueAt(index) : null;
                    if (value is null || value.GetType() != waiter.ValueType)
                    {
                        ServeGone(queue, now);
                        break;
                    }

                    if (!Serve(waiter, queue.Key, now))
                    {
                        break;
                    }
                }
            }

            _serving.Clear();
        }
    }

    // The key went away or changed type: waiters that must hear of it (WakeWhenGone) run again and answer.
    private void ServeGone(WaitQueue queue, long now)
    {
        for (var node = queue.Waiters.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.WakeWhenGone)
            {
                Serve(node.Value, queue.Key, now);
            }

            node = next;
        }
    }

    /// <summary>CLIENT UNBLOCK: ends the client's wait as a timeout or with the UNBLOCKED error; false when it is not blocked.</summary>
    public bool Unblock(long clientId, bool error)
    {
        if (!_byClient.TryGetValue(clientId, out var waiter))
        {
            return false;
        }

        var reply = waiter.Context.Reply;
        reply.Protocol = waiter.Client.Protocol;
        if (error)
        {
            // Redis's CLIENT UNBLOCK … ERROR: updateStatsOnUnblock(target, 0, 0, 1) counts a failed call.
            reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK"u8);
            waiter.Command.Stats.FailedCalls++;
        }
        else
        {
            reply.NullArray();
        }

        Finish(waiter, error ? WaitOutcome.Unblocked : WaitOutcome.TimedOut);
        return true;
    }

    /// <summary>The client went away while blocked: forget it.</summary>
    public void Abandon(Waiter waiter)
    {
        if (waiter.Outcome == WaitOutcome.Waiting)
        {
            Finish(waiter, WaitOutcome.Abandoned);
        }
    }

    private void TimeOut(Waiter waiter)
    {
        lock (_keyspace.Lock)
        {
            if (waiter.Outcome != WaitOutcome.Waiting)
            {
                return;
            }

            // Redis's replyToBlockedClientTimedOut: a null array for lists, sorted sets and streams alike (BLMOVE too).
            var reply = waiter.Context.Reply;
            reply.Protocol = waiter.Client.Protocol;
            reply.NullArray();
            Finish(waiter, WaitOutcome.TimedOut);
        }
    }

    private bool Serve(Waiter waiter, byte[] key, long now)
    {
        var c = waiter.Context;
        c.ServingKey = key;
        c.SetArguments(waiter.Arguments, waiter.Ranges, 0, waiter.Ranges.Count);
        c.Command = waiter.Command;
        c.Now = now;
        c.Unserved = false;
        c.ServingWaiter = waiter;
        c.Reply.Protocol = waiter.Client.Protocol;
        var propagation = _keyspace.Propagation;
        long units = propagation.UnitsWritten;
        long errors = c.Reply.ErrorCount;
        var tracking = waiter.Client.Tracking is null ? null : _keyspace.Tracking;
        var trackingScope = tracking?.BeginServing(waiter.Client) ?? default;
        try
        {
            propagation.RunServed(c, waiter.Command);
        }
        finally
        {
            c.ServingWaiter = null;
            c.ServingKey = null;

            // The served client's invalidations of its own writes (BLMOVE's destination) follow its reply.
            tracking?.EndServing(waiter.Client, trackingScope, c.Reply);
        }

        if (c.Unserved)
        {
            return false;
        }

        // The pop (or XCLAIM…) this reply reports is in the file's buffer now: the reply must not leave before it is durable.
        if (propagation.UnitsWritten != units && propagation.Target is { } aof)
        {
            waiter.DurableOffset = aof.Appended;
        }

        // Redis counted the call when the command blocked; serving it (updateStatsOnUnblock) adds a
        // failed call when the reply is an error (-NOGROUP after XGROUP DESTROY, -UNBLOCKED, WRONGTYPE).
        if (c.Reply.ErrorCount != errors)
        {
            waiter.Command.Stats.FailedCalls++;
        }

        Finish(waiter, WaitOutcome.Served);
        return true;
    }

    private void Finish(Waiter waiter, WaitOutcome outcome)
    {
        var queues = _queues[waiter.Db];
        foreach (var node in waiter.Nodes)
        {
            var list = (OwnedList)node.List!;
            var queue = list.Owner;
            list.Remove(node);
            if (list.Count == 0)
            {
                queues.Remove(queue.Key);
            }
        }

        waiter.Nodes.Clear();
        _byClient.Remove(waiter.Client.Id);
        waiter.Client.Blocked = false;
        waiter.Complete(outcome);
    }

    private static bool Contains(Waiter waiter, WaitQueue queue)
    {
        foreach (var node in waiter.Nodes)
        {
            if (ReferenceEquals(node.List, queue.Waiters))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class WaitQueue
    {
        public WaitQueue(int db, byte[] key)
        {
            Db = db;
            Key = key;
            Waiters = new OwnedList(this);
        }

        public int Db { get; }

        public byte[] Key { get; }

        public OwnedList Waiters { get; }

        public bool Ready { get; set; }
    }

    private sealed class OwnedList(WaitQueue owner) : LinkedList<Waiter>
    {
        public WaitQueue Owner { get; } = owner;
    }
}
