using System.Security.Cryptography;
using System.Text;
using Kv.Server.Network;

namespace Kv.Server.Commands;

/// <summary>Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET.</summary>
internal static class ConnectionCommands
{
    /// <summary>The Redis version kv-server's behaviour follows; reported by HELLO and INFO for clients that gate features on it.</summary>
    public const string RedisVersion = "7.0.15";

    public static void Register(CommandTable table)
    {
        table.Add("ping", -1, "fast", 0, 0, 0, "@connection", Ping, "connection", "Ping the server")
            .WithTips("request_policy:all_shards", "response_policy:all_succeeded")
            .WithArgs("message:string?");
        table.Add("echo", 2, "loading stale fast", 0, 0, 0, "@connection", Echo, "connection", "Echo the given string")
            .WithArgs("message:string");
        table.Add("hello", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@connection", Hello, "connection", "Handshake with Redis", "6.0.0")
            .WithArgs("arguments:block?(protover:integer username_password:block=AUTH?(username:string password:string) clientname:string=SETNAME?)")
            .WithHistory(("6.2.0", "`protover` made optional; when called without arguments the command reports the current connection's context."));
        table.Add("auth", -2, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@connection", Auth, "connection", "Authenticate to the server", "1.0.0", "O(N) where N is the number of passwords defined for the user")
            .WithArgs("username:string@6.0.0? password:string")
            .WithHistory(("6.0.0", "Added ACL style (username and password)."));
        table.Add("select", 2, "loading stale fast", 0, 0, 0, "@connection", Select, "connection", "Change the selected database for the current connection")
            .WithArgs("index:integer");
        table.Add("quit", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@connection", Quit, "connection", "Close the connection");
        table.Add("reset", 1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@connection", Reset, "connection", "Reset the connection", "6.2.0");
    }

    private static void Ping(CommandContext c)
    {
        if (c.ArgCount > 2)
        {
            c.Reply.Error(Errors.WrongArgCount(c.Command.FullName));
        }
        else if (c.Client.IsPubSub && c.Client.Protocol == 2)
        {
            // Redis: a subscribed RESP2 client reads only arrays, so PING answers ["pong", argument or ""].
            c.Reply.ArrayHeader(2);
            c.Reply.Bulk("pong"u8);
            c.Reply.Bulk(c.ArgCount == 2 ? c.Arg(1) : default);
        }
        else if (c.ArgCount == 2)
        {
            c.Reply.Bulk(c.Arg(1));
        }
        else
        {
            c.Reply.Raw("+PONG\r\n"u8);
        }
    }

    private static void Echo(CommandContext c) => c.Reply.Bulk(c.Arg(1));

    private static void Select(CommandContext c)
    {
        if (!c.TryArgLong(1, out long db))
        {
            return;
        }

        if (db is < int.MinValue or > int.MaxValue)
        {
            c.Reply.Error(Errors.IntOutOfRange);
            return;
        }

        if (db < 0 || db >= c.Keyspace.Databases.Length)
        {
            c.Reply.Error(Errors.DbIndexOutOfRange);
            return;
        }

        c.Client.Db = (int)db;
        c.Reply.Ok();
    }

    private static void Quit(CommandContext c)
    {
        c.Reply.Ok();
        c.Client.CloseRequested = true;
    }

    private static void Reset(CommandContext c)
    {
        // Redis's clearClientConnectionState leaves every channel, pattern and shard channel, silently.
        if (c.Client.Subscriber is { } subscriber)
        {
            c.Server.PubSub.RemoveAll(subscriber);
        }

        // …and turns tracking off.
        c.Server.Tracking.Disable(c.Client);
        c.Client.Reset(c.Server.RequiresPassword);
        c.Reply.Protocol = 2;
        c.Reply.SimpleString("RESET"u8);
    }

    // AUTH [username] password
    private static void Auth(CommandContext c)
    {
        if (c.ArgCount > 3)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        if (c.ArgCount == 2 && !c.Server.RequiresPassword)
        {
            c.Reply.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
            return;
        }

        bool ok = c.ArgCount == 2
            ? CheckPassword(c, "default"u8, c.Arg(1))
            : CheckPassword(c, c.Arg(1), c.Arg(2));
        if (ok)
        {
            c.Reply.Ok();
        }
        else
        {
            c.Reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
        }
    }

    // HELLO [protover [AUTH username password] [SETNAME clientname]]
    private static void Hello(CommandContext c)
    {
        int protocol = c.Client.Protocol;
        int i = 1;
        if (c.ArgCount >= 2)
        {
            if (!Kv.Protocol.RespNumber.TryParseInt64(c.Arg(1), out long version))
            {
                c.Reply.Error("ERR Protocol version is not an integer or out of range");
                return;
            }

            if (version < 2 || version > 3)
            {
                c.Reply.Error("NOPROTO unsupported protocol version");
                return;
            }

            protocol = (int)version;
            i = 2;
        }

        int userArg = -1;
        string? name = null;
        for (; i < c.ArgCount; i++)
        {
            if (c.ArgIs(i, "auth"u8) && c.ArgCount - i - 1 >= 2)
            {
                userArg = i + 1;
                i += 2;
            }
            else if (c.ArgIs(i, "setname"u8) && c.ArgCount - i - 1 >= 1)
            {
                name = c.ArgString(i + 1);
                i++;
                if (!ClientCommands.IsValidName(name))
                {
                    c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
                    return;
                }
            }
            else
            {
                c.Reply.Error($"ERR Syntax error in HELLO option '{c.ArgString(i)}'");
                return;
            }
        }

        if (userArg > 0 && !CheckPassword(c, c.Arg(userArg), c.Arg(userArg + 1)))
        {
            c.Reply.Error("WRONGPASS invalid username-password pair or user is disabled.");
            return;
        }

        if (!c.Client.Authenticated)
        {
            c.Reply.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }

        if (name is not null)
        {
            c.Client.Name = name.Length == 0 ? null : name;
        }

        c.Client.Protocol = protocol;
        var reply = c.Reply;
        reply.Protocol = protocol;
        reply.MapHeader(7);
        reply.Bulk("server"u8);
        reply.Bulk("redis"u8);
        reply.Bulk("version"u8);
        reply.Bulk(RedisVersion);
        reply.Bulk("proto"u8);
        reply.Integer(protocol);
        reply.Bulk("id"u8);
        reply.Integer(c.Client.Id);
        reply.Bulk("mode"u8);
        reply.Bulk("standalone"u8);
        reply.Bulk("role"u8);
        reply.Bulk("master"u8);
        reply.Bulk("modules"u8);
        reply.ArrayHeader(0);
    }

    /// <summary>Checks a user and password; authenticates the client when they match. Constant time in the password.</summary>
    private static bool CheckPassword(CommandContext c, ReadOnlySpan<byte> user, ReadOnlySpan<byte> password)
    {
        if (!user.SequenceEqual("default"u8))
        {
            return false;
        }

        var required = c.Server.Config.RequirePass;
        if (required.Length > 0)
        {
            // Hash both sides so the comparison takes the same time whatever the lengths.
            Span<byte> expected = stackalloc byte[32];
            Span<byte> given = stackalloc byte[32];
            SHA256.HashData(Encoding.UTF8.GetBytes(required), expected);
            SHA256.HashData(password, given);
            if (!CryptographicOperations.FixedTimeEquals(expected, given))
            {
                return false;
            }
        }

        c.Client.Authenticated = true;
        c.Client.User = "default";
        return true;
    }
}
