using Kv.Server.Persistence.Aof;
using Microsoft.Extensions.Logging;

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
                UpgradeSingleFileAof(server);
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

    /// <summary>
    /// Redis 7.0's aofUpgradePrepare: an append-only file of the single-file layout (Redis 6 and
    /// earlier: <c>appendfilename</c> in <c>dir</c>) with no multi-part AOF beside it becomes the base of
    /// one — the folder is created, a manifest naming the file as base (seq 1) is written, and the file
    /// is moved in. Loading then reads it as any base (RESP commands or an RDB preamble).
    /// </summary>
    private static void UpgradeSingleFileAof(ServerState server)
    {
        var aof = server.Aof;
        string name = server.Config.AppendFilename;
        string legacy = Path.Combine(server.Config.Dir, name);
        string manifestPath = Path.Combine(aof.Folder, AofManifest.ManifestName(name));
        if (!File.Exists(legacy) || (File.Exists(manifestPath) && !ListsNoFile(manifestPath)))
        {
            return;
        }

        Directory.CreateDirectory(aof.Folder);
        var manifest = new AofManifest { Base = new AofFileInfo(name, 1, AofFileType.Base), CurrentBaseSeq = 1 };
        aof.PersistManifest(manifest);
        File.Move(legacy, Path.Combine(aof.Folder, name));
        DiskSync.Directory(aof.Folder);
        server.Logger.LogInformation("Successfully migrated an old-style AOF file ({Name}) into the AOF directory ({Folder}).", name, server.Config.AppendDirname);
    }

    // A manifest that cannot be read is left for the loader to report.
    private static bool ListsNoFile(string manifestPath)
    {
        try
        {
            return AofManifest.Parse(File.ReadAllText(manifestPath)).IsEmpty;
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or OverflowException)
        {
            return false;
        }
    }
}
