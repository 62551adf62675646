namespace Kv.Server.Commands;

/// <summary>Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP.</summary>
internal static class BitCommands
{
    public static void Register(CommandTable table)
    {
    }
}
