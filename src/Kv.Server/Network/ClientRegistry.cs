namespace Kv.Server.Network;

/// <summary>The connected clients, for CLIENT LIST/KILL, INFO clients, maxclients and idle timeouts.</summary>
internal sealed class ClientRegistry
{
    private readonly Dictionary<long, ClientSession> _clients = [];
    private long _nextId;

    public int Count
    {
        get
        {
            lock (_clients)
            {
                return _clients.Count;
            }
        }
    }

    public long NextId() => Interlocked.Increment(ref _nextId);

    public void Add(ClientSession client)
    {
        lock (_clients)
        {
            _clients.Add(client.Id, client);
        }
    }

    public void Remove(ClientSession client)
    {
        lock (_clients)
        {
            _clients.Remove(client.Id);
        }
    }

    /// <summary>The connected client with this id (Redis's lookupClientByID).</summary>
    public bool TryGet(long id, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out ClientSession client)
    {
        lock (_clients)
        {
            return _clients.TryGetValue(id, out client);
        }
    }

    /// <summary>A copy of the current clients, ordered by id.</summary>
    public List<ClientSession> Snapshot()
    {
        lock (_clients)
        {
            var list = new List<ClientSession>(_clients.Values);
            list.Sort((a, b) => a.Id.CompareTo(b.Id));
            return list;
        }
    }
}
