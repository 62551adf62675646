namespace Kv.Server.Commands;

/// <summary>COMMAND and its subcommands, answered from the command table.</summary>
internal static class CommandCommands
{
    public static void Register(CommandTable table)
    {
    }
}
