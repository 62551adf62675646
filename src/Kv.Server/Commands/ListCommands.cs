namespace Kv.Server.Commands;

/// <summary>Lists: push, pop, range, index, insert, trim, move and the blocking pops.</summary>
internal static class ListCommands
{
    public static void Register(CommandTable table)
    {
    }
}
