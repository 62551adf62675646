namespace Kv.Server.Commands;

/// <summary>EVAL, EVALSHA, SCRIPT.</summary>
internal static class ScriptingCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
