namespace Kv.Server.Commands;

/// <summary>CONFIG GET, SET, RESETSTAT, REWRITE.</summary>
internal static class ConfigCommands
{
    public static void Register(CommandTable table)
    {
    }
}
