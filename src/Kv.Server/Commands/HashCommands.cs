namespace Kv.Server.Commands;

/// <summary>Hashes, with per-field expiry as Redis 7.4 defines it.</summary>
internal static class HashCommands
{
    public static void Register(CommandTable table)
    {
    }
}
