namespace Kv.Server.Commands;

/// <summary>FUNCTION and FCALL.</summary>
internal static class FunctionCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
