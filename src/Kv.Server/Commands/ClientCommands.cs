using System.Globalization;
using System.Text;
using Kv.Protocol;
using Kv.Server.Network;
using Kv.Server.Tracking;

namespace Kv.Server.Commands;

/// <summary>CLIENT and its subcommands.</summary>
internal static class ClientCommands
{
    private static readonly string[] HelpLines =
    [
        "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CACHING (YES|NO)",
        "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
        "GETREDIR",
        "    Return the client ID we are redirecting to when tracking is enabled.",
        "GETNAME",
        "    Return the name of the current connection.",
        "ID",
        "    Return the ID of the current connection.",
        "INFO",
        "    Return information about the current client connection.",
        "KILL <ip:port>",
        "    Kill connection made from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Kill connections. Options are:",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made from the specified address",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Kill connections made to specified local address",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Kill connections by type.",
        "    * USER <username>",
        "      Kill connections authenticated by <username>.",
        "    * SKIPME (YES|NO)",
        "      Skip killing current connection (default: yes).",
        "    * ID <client-id>",
        "      Kill connections by client id.",
        "LIST [options ...]",
        "    Return information about client connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Return clients of specified type.",
        "    * ID <client-id> [<client-id> ...]",
        "      Return clients of specified IDs only.",
        "REPLY (ON|OFF|SKIP)",
        "    Control the replies sent to the current connection.",
        "SETNAME <name>",
        "    Assign the name <name> to the current connection.",
        "SETINFO <option> <value>",
        "    Set client meta attr. Options are:",
        "    * LIB-NAME: the client lib name.",
        "    * LIB-VER: the client lib version.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Control server assisted client side caching.",
        "TRACKINGINFO",
        "    Report tracking status for the current connection.",
        "NO-EVICT (ON|OFF)",
        "    Protect current client connection from eviction.",
        "HELP",
        "    Prints this help.",
    ];

    private enum ClientType
    {
        Normal,
        Replica,
        PubSub,
        Master,
    }

    public static void Register(CommandTable table)
    {
        var client = table.Add("client", -2, "", 0, 0, 0, "", null, "connection", "A container for client connection commands", "2.4.0", "Depends on subcommand.");
        client.AddSubcommand(CommandTable.Create("id", 2, "noscript loading stale", 0, 0, 0, "@connection", Id, "connection", "Returns the client ID for the current connection", "5.0.0"));
        client.AddSubcommand(CommandTable.Create("setname", 3, "noscript loading stale", 0, 0, 0, "@connection", SetName, "connection", "Set the current connection name", "2.6.9")
            .WithArgs("connection-name:string"));
        client.AddSubcommand(CommandTable.Create("getname", 2, "noscript loading stale", 0, 0, 0, "@connection", GetName, "connection", "Get the current connection name", "2.6.9"));
        client.AddSubcommand(CommandTable.Create("list", -2, "admin noscript loading stale", 0, 0, 0, "@connection", List, "connection", "Get the list of client connections", "2.4.0", "O(N) where N is the number of client connections")
            .WithTips("nondeterministic_output")
            .WithArgs("normal_master_replica_pubsub:oneof=TYPE@5.0.0?(normal:pure-token=NORMAL master:pure-token=MASTER replica:pure-token=REPLICA pubsub:pure-token=PUBSUB) id:block=ID@6.2.0?(client-id:integer*)")
            .WithHistory(("2.8.12", "Added unique client `id` field."), ("5.0.0", "Added optional `TYPE` filter."), ("6.0.0", "Added `user` field."), ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."), ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."), ("7.0.3", "Added `ssub` field.")));
        client.AddSubcommand(CommandTable.Create("info", 2, "noscript loading stale", 0, 0, 0, "@connection", Info, "connection", "Returns information about the current client connection.", "6.2.0")
            .WithTips("nondeterministic_output"));
        client.AddSubcommand(CommandTable.Create("kill", -3, "admin noscript loading stale", 0, 0, 0, "@connection", Kill, "connection", "Kill the connection of a client", "2.4.0", "O(N) where N is the number of client connections")
            .WithArgs("filter:oneof('ip:port':string!2.8.12 new-format:oneof*(client-id:integer=ID@2.8.12? normal_master_slave_pubsub:oneof=TYPE@2.8.12?(normal:pure-token=NORMAL master:pure-token=MASTER@3.2.0 slave:pure-token=SLAVE replica:pure-token=REPLICA@5.0.0 pubsub:pure-token=PUBSUB) username:string=USER? 'ip:port':string=ADDR? 'ip:port':string=LADDR@6.2.0? 'yes/no':string=SKIPME?))")
            .WithHistory(("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."), ("3.2.0", "Added `master` type in for `TYPE` option."), ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."), ("6.2.0", "`LADDR` option.")));
        // Not in Redis 7.0 (added in 7.2): clients send it on connect, so kv-server answers it.
        client.AddSubcommand(CommandTable.Create("setinfo", 4, "noscript loading stale", 0, 0, 0, "@connection", SetInfo, "connection", "Sets information specific to the client or connection.", "7.2.0"));
        client.AddSubcommand(CommandTable.Create("no-evict", 3, "admin noscript loading stale", 0, 0, 0, "@connection", NoEvict, "connection", "Set client eviction mode for the current connection", "7.0.0")
            .WithArgs("enabled:oneof(on:pure-token=ON off:pure-token=OFF)"));
        client.AddSubcommand(CommandTable.Create("reply", 3, "noscript loading stale", 0, 0, 0, "@connection", Reply, "connection", "Instruct the server whether to reply to commands", "3.2.0")
            .WithArgs("on_off_skip:oneof(on:pure-token=ON off:pure-token=OFF skip:pure-token=SKIP)"));
        client.AddSubcommand(CommandTable.Create("unblock", -3, "admin noscript loading stale", 0, 0, 0, "@connection", Unblock, "connection", "Unblock a client blocked in a blocking command from a different connection", "5.0.0", "O(log N) where N is the number of client connections")
            .WithArgs("client-id:integer timeout_error:oneof?(timeout:pure-token=TIMEOUT error:pure-token=ERROR)"));
        client.AddSubcommand(CommandTable.Create("tracking", -3, "noscript loading stale", 0, 0, 0, "@connection", TrackingCommands.Tracking, "connection", "Enable or disable server assisted client side caching support", "6.0.0", "O(1). Some options may introduce additional complexity.")
            .WithArgs("status:oneof(on:pure-token=ON off:pure-token=OFF) client-id:integer=REDIRECT? prefix:string=PREFIX?*+ bcast:pure-token=BCAST? optin:pure-token=OPTIN? optout:pure-token=OPTOUT? noloop:pure-token=NOLOOP?"));
        client.AddSubcommand(CommandTable.Create("caching", 3, "noscript loading stale", 0, 0, 0, "@connection", TrackingCommands.Caching, "connection", "Instruct the server about tracking or not keys in the next request", "6.0.0")
            .WithArgs("mode:oneof(yes:pure-token=YES no:pure-token=NO)"));
        client.AddSubcommand(CommandTable.Create("getredir", 2, "noscript loading stale", 0, 0, 0, "@connection", TrackingCommands.GetRedir, "connection", "Get tracking notifications redirection client ID if any", "6.0.0"));
        client.AddSubcommand(CommandTable.Create("trackinginfo", 2, "noscript loading stale", 0, 0, 0, "@connection", TrackingCommands.TrackingInfo, "connection", "Return information about server assisted client side caching for the current connection", "6.2.0"));
        client.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "@connection", Help, "connection", "Show helpful text about the different subcommands", "5.0.0"));
    }

    /// <summary>Redis refuses names with spaces, newlines or characters outside '!'..'~'.</summary>
    public static bool IsValidName(string name)
    {
        foreach (char ch in name)
        {
            if (ch < '!' || ch > '~')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes lines as Redis's addReplyHelp does: an array of simple strings.</summary>
    internal static void WriteHelp(RespWriter reply, string[] lines)
    {
        reply.ArrayHeader(lines.Length);
        foreach (var line in lines)
        {
            reply.SimpleString(line);
        }
    }

    private static void Id(CommandContext c) => c.Reply.Integer(c.Client.Id);

    // Redis's CLIENT UNBLOCK: 1 when the client was blocked on keys and is now unblocked (as if timed
    // out, or with -UNBLOCKED), else 0.
    private static void Unblock(CommandContext c)
    {
        if (c.ArgCount > 4)
        {
            // Redis falls through to addReplySubcommandSyntaxError.
            c.Reply.Error($"ERR unknown subcommand or wrong number of arguments for '{c.ArgString(1)}'. Try CLIENT HELP.");
            return;
        }

        if (!c.TryArgLong(2, out long id))
        {
            return;
        }

        bool error = false;
        if (c.ArgCount == 4)
        {
            if (c.ArgIs(3, "error"u8))
            {
                error = true;
            }
            else if (!c.ArgIs(3, "timeout"u8))
            {
                c.Reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
                return;
            }
        }

        c.Reply.Integer(c.Keyspace.Blocking.Unblock(id, error) ? 1 : 0);
    }

    private static void SetName(CommandContext c)
    {
        string name = c.ArgString(2);
        if (!IsValidName(name))
        {
            c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }

        c.Client.Name = name.Length == 0 ? null : name;
        c.Reply.Ok();
    }

    private static void GetName(CommandContext c)
    {
        if (c.Client.Name is null)
        {
            c.Reply.NullBulk();
        }
        else
        {
            c.Reply.Bulk(c.Client.Name);
        }
    }

    private static void Help(CommandContext c) => WriteHelp(c.Reply, HelpLines);

    // CLIENT LIST [TYPE type] | [ID id [id ...]] — Redis 7.0 takes one of the two filters.
    private static void List(CommandContext c)
    {
        ClientType? type = null;
        HashSet<long>? ids = null;
        if (c.ArgCount == 4 && c.ArgIs(2, "type"u8))
        {
            type = ParseType(c.ArgString(3));
            if (type is null)
            {
                c.Reply.Error($"ERR Unknown client type '{c.ArgString(3)}'");
                return;
            }
        }
        else if (c.ArgCount > 3 && c.ArgIs(2, "id"u8))
        {
            ids = [];
            for (int i = 3; i < c.ArgCount; i++)
            {
                if (!RespNumber.TryParseInt64(c.Arg(i), out long id))
                {
                    c.Reply.Error("ERR Invalid client ID");
                    return;
                }

                ids.Add(id);
            }
        }
        else if (c.ArgCount != 2)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        var text = new StringBuilder();
        foreach (var client in c.Server.Clients.Snapshot())
        {
            if ((type is { } t && TypeOf(client) != t) || (ids is not null && !ids.Contains(client.Id)))
            {
                continue;
            }

            AppendInfo(text, client, c);
            text.Append('\n');
        }

        c.Reply.Verbatim(Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static void Info(CommandContext c)
    {
        var text = new StringBuilder();
        AppendInfo(text, c.Client, c);
        text.Append('\n');
        c.Reply.Verbatim(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>One CLIENT LIST line, field for field as Redis 7.2's catClientInfoString (without the trailing newline).</summary>
    internal static void AppendInfo(StringBuilder text, ClientSession client, CommandContext c)
    {
        long now = c.Now;
        bool self = ReferenceEquals(client, c.Client);
        long argvMemory = 0;
        if (self)
        {
            for (int i = 0; i < c.ArgCount; i++)
            {
                argvMemory += c.Arg(i).Length;
            }
        }

        long queryBuffer = client.QueryBufferLength;
        var inv = CultureInfo.InvariantCulture;
        text.Append(inv, $"id={client.Id} addr={client.Address} laddr={client.LocalAddress} fd={client.Fd} name={client.Name}");
        text.Append(inv, $" age={Math.Max(0, now - client.CreatedAt) / 1000} idle={Math.Max(0, now - client.LastInteraction) / 1000} flags={Flags(client)}");
        text.Append(inv, $" db={client.Db} sub={client.ChannelSubscriptions} psub={client.PatternSubscriptions} ssub={client.ShardSubscriptions} multi={client.MultiQueued}");
        text.Append(inv, $" qbuf={queryBuffer} qbuf-free={Math.Max(0, 16384 - queryBuffer)} argv-mem={argvMemory} multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem={client.Subscriber?.PendingBytes ?? 0}");
        text.Append(inv, $" tot-mem={16384 + queryBuffer + argvMemory} events=r cmd={client.LastCommand?.FullName ?? "NULL"} user={client.User} redir={(client.Tracking is { Enabled: true } tracking ? tracking.Redirect : -1)} resp={client.Protocol}");
        text.Append(inv, $" lib-name={client.LibName} lib-ver={client.LibVersion}");
    }

    // Redis's flag letters, in its order: P pubsub, x multi, b blocked, t/R/B tracking, d watched key touched, c close after reply, e no-evict; N when none.
    private static string Flags(ClientSession client)
    {
        var flags = new StringBuilder(4);
        if (client.IsPubSub)
        {
            flags.Append('P');
        }

        if (client.MultiQueued >= 0)
        {
            flags.Append('x');
        }

        if (client.Blocked)
        {
            flags.Append('b');
        }

        // t: tracking, R: its redirect broke, B: broadcast mode.
        if (client.Tracking is { Enabled: true } tracking)
        {
            flags.Append('t');
            if (tracking.BrokenRedirect)
            {
                flags.Append('R');
            }

            if (tracking.Broadcast)
            {
                flags.Append('B');
            }
        }

        if (client.Transaction is { DirtyCas: true })
        {
            flags.Append('d');
        }

        if (client.CloseRequested)
        {
            flags.Append('c');
        }

        if (client.NoEvict)
        {
            flags.Append('e');
        }

        return flags.Length == 0 ? "N" : flags.ToString();
    }

    private static ClientType? ParseType(string name) => name.ToLowerInvariant() switch
    {
        "normal" => ClientType.Normal,
        "slave" or "replica" => ClientType.Replica,
        "pubsub" => ClientType.PubSub,
        "master" => ClientType.Master,
        _ => null,
    };

    private static ClientType TypeOf(ClientSession client) => client.IsPubSub ? ClientType.PubSub : ClientType.Normal;

    // CLIENT KILL ip:port, or CLIENT KILL <filter> <value> [...] (ID, TYPE, ADDR, LADDR, USER, SKIPME:
    // Redis 7.0's filters; MAXAGE came in 7.4 and is a syntax error here as in 7.0).
    private static void Kill(CommandContext c)
    {
        long id = 0;
        ClientType? type = null;
        string? addr = null;
        string? laddr = null;
        string? user = null;
        bool skipMe = true;
        bool oldForm = c.ArgCount == 3;
        if (oldForm)
        {
            // With the old form a client may kill itself.
            addr = c.ArgString(2);
            skipMe = false;
        }
        else
        {
            for (int i = 2; i < c.ArgCount; i += 2)
            {
                bool more = i + 1 < c.ArgCount;
                if (!more)
                {
                    c.Reply.Error(Errors.Syntax);
                    return;
                }

                if (c.ArgIs(i, "id"u8))
                {
                    if (!RespNumber.TryParseInt64(c.Arg(i + 1), out id) || id < 1)
                    {
                        c.Reply.Error("ERR client-id should be greater than 0");
                        return;
                    }
                }
                else if (c.ArgIs(i, "type"u8))
                {
                    type = ParseType(c.ArgString(i + 1));
                    if (type is null)
                    {
                        c.Reply.Error($"ERR Unknown client type '{c.ArgString(i + 1)}'");
                        return;
                    }
                }
                else if (c.ArgIs(i, "addr"u8))
                {
                    addr = c.ArgString(i + 1);
                }
                else if (c.ArgIs(i, "laddr"u8))
                {
                    laddr = c.ArgString(i + 1);
                }
                else if (c.ArgIs(i, "user"u8))
                {
                    user = c.ArgString(i + 1);
                    if (user != "default")
                    {
                        c.Reply.Error($"ERR No such user '{user}'");
                        return;
                    }
                }
                else if (c.ArgIs(i, "skipme"u8))
                {
                    if (c.ArgIs(i + 1, "yes"u8))
                    {
                        skipMe = true;
                    }
                    else if (c.ArgIs(i + 1, "no"u8))
                    {
                        skipMe = false;
                    }
                    else
                    {
                        c.Reply.Error(Errors.Syntax);
                        return;
                    }
                }
                else
                {
                    c.Reply.Error(Errors.Syntax);
                    return;
                }
            }
        }

        long killed = 0;
        bool killedSelf = false;
        foreach (var client in c.Server.Clients.Snapshot())
        {
            if ((addr is not null && client.Address != addr)
                || (laddr is not null && client.LocalAddress != laddr)
                || (type is { } t && TypeOf(client) != t)
                || (id != 0 && client.Id != id)
                || (user is not null && client.User != user)
                || (skipMe && ReferenceEquals(client, c.Client))
                || client.Killed)
            {
                continue;
            }

            if (ReferenceEquals(client, c.Client))
            {
                killedSelf = true;
            }
            else
            {
                // Redis frees another client at once: it leaves CLIENT LIST and INFO now, not when its loop notices.
                client.Kill(c.Client);
                c.Server.Clients.Remove(client);
            }

            killed++;
        }

        if (oldForm)
        {
            if (killed == 0)
            {
                c.Reply.Error("ERR No such client");
            }
            else
            {
                c.Reply.Ok();
            }
        }
        else
        {
            c.Reply.Integer(killed);
        }

        // A client that killed itself is closed once this reply is written.
        if (killedSelf)
        {
            c.Client.Kill(c.Client);
        }
    }

    // CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2; clients send it on connect and ignore errors).
    private static void SetInfo(CommandContext c)
    {
        string attribute = c.ArgString(2);
        bool isName = c.ArgIs(2, "lib-name"u8);
        if (!isName && !c.ArgIs(2, "lib-ver"u8))
        {
            c.Reply.Error($"ERR Unrecognized option '{attribute}'");
            return;
        }

        string value = c.ArgString(3);
        if (!IsValidName(value))
        {
            c.Reply.Error($"ERR {attribute} cannot contain spaces, newlines or special characters.");
            return;
        }

        string? stored = value.Length == 0 ? null : value;
        if (isName)
        {
            c.Client.LibName = stored;
        }
        else
        {
            c.Client.LibVersion = stored;
        }

        c.Reply.Ok();
    }

    private static void NoEvict(CommandContext c)
    {
        if (c.ArgIs(2, "on"u8))
        {
            c.Client.NoEvict = true;
        }
        else if (c.ArgIs(2, "off"u8))
        {
            c.Client.NoEvict = false;
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        c.Reply.Ok();
    }

    // CLIENT REPLY ON replies OK; OFF and SKIP reply nothing (the connection drops replies while they are in force).
    private static void Reply(CommandContext c)
    {
        if (c.ArgIs(2, "on"u8))
        {
            c.Client.ReplyMode = ReplyMode.On;
            c.Reply.Ok();
        }
        else if (c.ArgIs(2, "off"u8))
        {
            c.Client.ReplyMode = ReplyMode.Off;
        }
        else if (c.ArgIs(2, "skip"u8))
        {
            // Skipping the next command does not turn replies back on if they were off.
            if (c.Client.ReplyMode != ReplyMode.Off)
            {
                c.Client.ReplyMode = ReplyMode.SkipNext;
            }
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
        }
    }
}
