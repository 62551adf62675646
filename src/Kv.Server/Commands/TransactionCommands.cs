namespace Kv.Server.Commands;

/// <summary>MULTI, EXEC, DISCARD, WATCH, UNWATCH.</summary>
internal static class TransactionCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
