using Kv.Server.PubSub;

namespace Kv.Server.Commands;

/// <summary>SUBSCRIBE, PUBLISH, PUBSUB and the rest of pub/sub.</summary>
internal static class PubSubCommands
{
    private static readonly string[] HelpLines =
    [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ];

    public static void Register(CommandTable table)
    {
        table.Add("subscribe", -2, "pubsub noscript loading stale", 0, 0, 0, "", Subscribe, "pubsub", "Listen for messages published to the given channels", "2.0.0", "O(N) where N is the number of channels to subscribe to.")
            .WithArgs("channel:string*");
        table.Add("unsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0, "", Unsubscribe, "pubsub", "Stop listening for messages posted to the given channels", "2.0.0", "O(N) where N is the number of clients already subscribed to a channel.")
            .WithArgs("channel:string?*");
        table.Add("psubscribe", -2, "pubsub noscript loading stale", 0, 0, 0, "", PSubscribe, "pubsub", "Listen for messages published to channels matching the given patterns", "2.0.0", "O(N) where N is the number of patterns the client is already subscribed to.")
            .WithArgs("pattern:block*(pattern:pattern)");
        table.Add("punsubscribe", -1, "pubsub noscript loading stale", 0, 0, 0, "", PUnsubscribe, "pubsub", "Stop listening for messages posted to channels matching the given patterns", "2.0.0", "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).")
            .WithArgs("pattern:pattern?*");
        table.Add("ssubscribe", -2, "pubsub noscript loading stale", 1, -1, 1, "", SSubscribe, "pubsub", "Listen for messages published to the given shard channels", "7.0.0", "O(N) where N is the number of shard channels to subscribe to.")
            .WithKeys("not_key | index 1 | range -1 1 0")
            .WithArgs("shardchannel:string*");
        table.Add("sunsubscribe", -1, "pubsub noscript loading stale", 1, -1, 1, "", SUnsubscribe, "pubsub", "Stop listening for messages posted to the given shard channels", "7.0.0", "O(N) where N is the number of clients already subscribed to a shard channel.")
            .WithKeys("not_key | index 1 | range -1 1 0")
            .WithArgs("shardchannel:string?*");
        table.Add("publish", 3, "pubsub loading stale fast", 0, 0, 0, "", Publish, "pubsub", "Post a message to a channel", "2.0.0", "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).")
            .WithArgs("channel:string message:string");
        table.Add("spublish", 3, "pubsub loading stale fast", 1, 1, 1, "", SPublish, "pubsub", "Post a message to a shard channel", "7.0.0", "O(N) where N is the number of clients subscribed to the receiving shard channel.")
            .WithKeys("not_key | index 1 | range 0 1 0")
            .WithArgs("shardchannel:string message:string");

        var pubsub = table.Add("pubsub", -2, "", 0, 0, 0, "", null, "pubsub", "A container for Pub/Sub commands", "2.8.0", "Depends on subcommand.");
        pubsub.AddSubcommand(CommandTable.Create("channels", -2, "pubsub loading stale", 0, 0, 0, "", Channels, "pubsub", "List active channels", "2.8.0", "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)")
            .WithArgs("pattern:pattern?"));
        pubsub.AddSubcommand(CommandTable.Create("shardchannels", -2, "pubsub loading stale", 0, 0, 0, "", ShardChannels, "pubsub", "List active shard channels", "7.0.0", "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).")
            .WithArgs("pattern:pattern?"));
        pubsub.AddSubcommand(CommandTable.Create("numsub", -2, "pubsub loading stale", 0, 0, 0, "", NumSub, "pubsub", "Get the count of subscribers for channels", "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels")
            .WithArgs("channel:string?*"));
        pubsub.AddSubcommand(CommandTable.Create("shardnumsub", -2, "pubsub loading stale", 0, 0, 0, "", ShardNumSub, "pubsub", "Get the count of subscribers for shard channels", "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels")
            .WithArgs("shardchannel:string?*"));
        pubsub.AddSubcommand(CommandTable.Create("numpat", 2, "pubsub loading stale", 0, 0, 0, "", NumPat, "pubsub", "Get the count of unique patterns pattern subscriptions", "2.8.0"));
        pubsub.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "", Help, "pubsub", "Show helpful text about the different subcommands", "6.2.0"));
    }

    /// <summary>
    /// Redis (processCommand): a RESP2 client with subscriptions may only run these; RESP3 clients
    /// get messages as push frames and may run anything.
    /// </summary>
    public static bool AllowedWhileSubscribed(CommandDefinition command) => command.FullName switch
    {
        "ping" or "subscribe" or "ssubscribe" or "unsubscribe" or "sunsubscribe" or "psubscribe" or "punsubscribe" or "quit" or "reset" => true,
        _ => false,
    };

    /// <summary>
    /// Subscription replies are pushes: Redis sends them even under CLIENT REPLY OFF/SKIP
    /// (CLIENT_PUSHING), so the connection does not silence these commands.
    /// </summary>
    public static bool RepliesAsPushes(CommandDefinition? command) => command is not null && command.FullName switch
    {
        "subscribe" or "ssubscribe" or "unsubscribe" or "sunsubscribe" or "psubscribe" or "punsubscribe" => true,
        _ => false,
    };

    private static Subscriber SubscriberOf(CommandContext c) => c.Client.Subscriber ??= new Subscriber(c.Client, wake: null);

    private static void Subscribe(CommandContext c) => SubscribeAll(c, SubscriptionKind.Channel, "subscribe"u8);

    private static void PSubscribe(CommandContext c) => SubscribeAll(c, SubscriptionKind.Pattern, "psubscribe"u8);

    private static void SSubscribe(CommandContext c)
    {
        // Redis refuses SSUBSCRIBE for a client that must get one reply per command (inside MULTI
        // too, unlike SUBSCRIBE and PSUBSCRIBE, which keep their old MULTI behaviour).
        if (c.InTransaction)
        {
            c.Reply.Error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"u8);
            return;
        }

        SubscribeAll(c, SubscriptionKind.Shard, "ssubscribe"u8);
    }

    private static void Unsubscribe(CommandContext c) => UnsubscribeAll(c, SubscriptionKind.Channel, "unsubscribe"u8);

    private static void PUnsubscribe(CommandContext c) => UnsubscribeAll(c, SubscriptionKind.Pattern, "punsubscribe"u8);

    private static void SUnsubscribe(CommandContext c) => UnsubscribeAll(c, SubscriptionKind.Shard, "sunsubscribe"u8);

    // One confirmation per argument, repeated ones included, each with the count after it (Redis's
    // pubsubSubscribeChannel). Channels and patterns share one count; shard channels have their own.
    private static void SubscribeAll(CommandContext c, SubscriptionKind kind, ReadOnlySpan<byte> confirmation)
    {
        var hub = c.Server.PubSub;
        var subscriber = SubscriberOf(c);
        for (int i = 1; i < c.ArgCount; i++)
        {
            hub.Subscribe(subscriber, kind, c.Arg(i));
            Confirm(c, confirmation, c.Arg(i), Count(subscriber, kind));
        }
    }

    // With names: one confirmation each, subscribed or not. Without: every subscription of the kind,
    // or one confirmation with a null name when there is none (Redis's pubsubUnsubscribeAllChannels).
    private static void UnsubscribeAll(CommandContext c, SubscriptionKind kind, ReadOnlySpan<byte> confirmation)
    {
        var hub = c.Server.PubSub;
        var subscriber = SubscriberOf(c);
        if (c.ArgCount > 1)
        {
            for (int i = 1; i < c.ArgCount; i++)
            {
                hub.Unsubscribe(subscriber, kind, c.Arg(i));
                Confirm(c, confirmation, c.Arg(i), Count(subscriber, kind));
            }

            return;
        }

        if (subscriber.Get(kind) is not { Count: > 0 } set)
        {
            c.Reply.PushHeader(3);
            c.Reply.Bulk(confirmation);
            c.Reply.NullBulk();
            c.Reply.Integer(Count(subscriber, kind));
            return;
        }

        foreach (var name in set.ToArray())
        {
            hub.Unsubscribe(subscriber, kind, name);
            Confirm(c, confirmation, name, Count(subscriber, kind));
        }
    }

    private static int Count(Subscriber subscriber, SubscriptionKind kind)
        => kind == SubscriptionKind.Shard ? subscriber.ShardCount : subscriber.ChannelAndPatternCount;

    private static void Confirm(CommandContext c, ReadOnlySpan<byte> confirmation, ReadOnlySpan<byte> name, int count)
    {
        c.Reply.PushHeader(3);
        c.Reply.Bulk(confirmation);
        c.Reply.Bulk(name);
        c.Reply.Integer(count);
    }

    private static void Publish(CommandContext c) => c.Reply.Integer(c.Server.PubSub.Publish(c.Arg(1), c.Arg(2)));

    private static void SPublish(CommandContext c) => c.Reply.Integer(c.Server.PubSub.PublishShard(c.Arg(1), c.Arg(2)));

    private static void Channels(CommandContext c) => ListChannels(c, shard: false);

    private static void ShardChannels(CommandContext c) => ListChannels(c, shard: true);

    private static void ListChannels(CommandContext c, bool shard)
    {
        if (c.ArgCount > 3)
        {
            SubcommandSyntaxError(c);
            return;
        }

        bool hasPattern = c.ArgCount == 3;
        var channels = c.Server.PubSub.ActiveChannels(shard, hasPattern ? c.Arg(2) : default, hasPattern);
        c.Reply.ArrayHeader(channels.Count);
        foreach (var channel in channels)
        {
            c.Reply.Bulk(channel);
        }
    }

    private static void NumSub(CommandContext c) => Counts(c, shard: false);

    private static void ShardNumSub(CommandContext c) => Counts(c, shard: true);

    private static void Counts(CommandContext c, bool shard)
    {
        var hub = c.Server.PubSub;
        c.Reply.ArrayHeader((c.ArgCount - 2) * 2);
        for (int i = 2; i < c.ArgCount; i++)
        {
            c.Reply.Bulk(c.Arg(i));
            c.Reply.Integer(hub.SubscriberCount(shard, c.Arg(i)));
        }
    }

    private static void NumPat(CommandContext c) => c.Reply.Integer(c.Server.PubSub.PatternCount);

    private static void Help(CommandContext c) => ClientCommands.WriteHelp(c.Reply, HelpLines);

    // Redis's addReplySubcommandSyntaxError: the subcommand as the client typed it.
    private static void SubcommandSyntaxError(CommandContext c)
        => c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try PUBSUB HELP.");
}
