namespace Kv.Server.Commands;

/// <summary>Sorted sets: scores, ranks, ranges by score, rank and lex, set algebra, pops.</summary>
internal static class SortedSetCommands
{
    public static void Register(CommandTable table)
    {
    }
}
