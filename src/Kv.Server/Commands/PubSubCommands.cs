namespace Kv.Server.Commands;

/// <summary>SUBSCRIBE, PUBLISH, PUBSUB and the rest of pub/sub.</summary>
internal static class PubSubCommands
{
    public static void Register(CommandTable table)
    {
        _ = table;
    }
}
