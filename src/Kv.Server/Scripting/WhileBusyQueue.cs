namespace Kv.Server.Scripting;

/// <summary>
/// Work other connections hand to the thread running a script that has passed busy-reply-threshold
/// (Redis's processEventsWhileBlocked): the script's hook runs it under the keyspace lock the script
/// holds, so a command allowed while busy (SCRIPT KILL, MULTI, WATCH, DISCARD…), the -BUSY answers and
/// a closing client's cleanup never need the lock themselves and never wait for the script to end.
/// </summary>
/// <remarks>
/// Open while a busy script runs: <see cref="TryRun"/> queues the work and waits for the hook (which
/// fires every 100,000 Lua instructions) to run it; once the script ends, <see cref="Close"/> runs what
/// is left and later callers get false and take the keyspace lock as usual. Nothing here is on the
/// command path of an ordinary batch.
/// </remarks>
internal sealed class WhileBusyQueue
{
    private readonly Lock _gate = new();
    private readonly Queue<Item> _items = new();
    private bool _open;

    /// <summary>The script thread, under the keyspace lock: work may now be handed over.</summary>
    public void Open()
    {
        lock (_gate)
        {
            _open = true;
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the busy script's thread and returns once it ran; false (and
    /// nothing run) when no busy script is taking work.
    /// </summary>
    public bool TryRun(Action work)
    {
        var item = new Item(work);
        lock (_gate)
        {
            if (!_open)
            {
                return false;
            }

            _items.Enqueue(item);
        }

        item.Done.Wait();
        item.Done.Dispose();
        if (item.Failure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return true;
    }

    /// <summary>The script thread (from its hook), under the keyspace lock: runs what was handed over.</summary>
    public void RunPending()
    {
        while (true)
        {
            Item? item;
            lock (_gate)
            {
                if (!_items.TryDequeue(out item))
                {
                    return;
                }
            }

            item.Run();
        }
    }

    /// <summary>The script ended (still under the keyspace lock): runs what is left and stops taking work.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _open = false;
        }

        RunPending();
    }

    private sealed class Item(Action work)
    {
        public ManualResetEventSlim Done { get; } = new();

        public Exception? Failure { get; private set; }

        public void Run()
        {
            try
            {
                work();
            }
            catch (Exception ex)
            {
                Failure = ex;
            }
            finally
            {
                Done.Set();
            }
        }
    }
}
