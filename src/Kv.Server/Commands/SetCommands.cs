namespace Kv.Server.Commands;

/// <summary>Sets: membership, random members, set algebra, SSCAN.</summary>
internal static class SetCommands
{
    public static void Register(CommandTable table)
    {
    }
}
