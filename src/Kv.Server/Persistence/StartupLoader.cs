using Kv.Server.Persistence.Aof;

namespace Kv.Server.Persistence;

/// <summary>
/// What start-up loads, as Redis's loadDataFromDisk decides: the AOF when appendonly is yes (it takes
/// precedence, being the more complete), else the RDB snapshot.
/// </summary>
internal static class StartupLoader
{
    /// <summary>Loads the data and opens the AOF for appending when it is on.</summary>
    /// <exception cref="InvalidDataException">A file is corrupt; the message names it and how to repair it.</exception>
    public static void Load(ServerState server)
    {
        var config = server.Config;
        server.Rdb.Progress.Start(server.Time.GetUtcNow().ToUnixTimeSeconds(), 0);
        server.Rdb.Loading = true;
        try
        {
            if (config.AppendOnly)
            {
                var aof = server.Aof;
                aof.Manifest = AofLoader.Load(server, aof.Folder, config.AppendFilename);
                aof.OpenOnStartup();
                return;
            }

            Rdb.RdbLoader.Load(server);
        }
        finally
        {
            server.Rdb.Loading = false;
            server.Keyspace.Dirty = 0;
        }
    }
}
