using System.Net;
using System.Text;
using Kv.Server.Configuration;
using Kv.Server.Text;

namespace Kv.Server.Commands;

/// <summary>CONFIG GET, SET, RESETSTAT, REWRITE, HELP.</summary>
internal static class ConfigCommands
{
    private static readonly string[] HelpLines =
    [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];

    public static void Register(CommandTable table)
    {
        var config = table.Add("config", -2, "", 0, 0, 0, "", null, "server", "A container for server configuration commands", "2.0.0", "Depends on subcommand.");
        config.AddSubcommand(CommandTable.Create("get", -3, "admin noscript loading stale", 0, 0, 0, "", Get, "server", "Get the values of configuration parameters", "2.0.0", "O(N) when N is the number of configuration parameters provided")
            .WithArgs("parameter:block*(parameter:string)")
            .WithHistory(("7.0.0", "Added the ability to pass multiple pattern parameters in one call")));
        config.AddSubcommand(CommandTable.Create("set", -4, "admin noscript loading stale", 0, 0, 0, "", Set, "server", "Set configuration parameters to the given values", "2.0.0", "O(N) when N is the number of configuration parameters provided")
            .WithTips("request_policy:all_nodes", "response_policy:all_succeeded")
            .WithArgs("parameter_value:block*(parameter:string value:string)")
            .WithHistory(("7.0.0", "Added the ability to set multiple parameters in one call.")));
        config.AddSubcommand(CommandTable.Create("resetstat", 2, "admin noscript loading stale", 0, 0, 0, "", ResetStat, "server", "Reset the stats returned by INFO", "2.0.0"));
        config.AddSubcommand(CommandTable.Create("rewrite", 2, "admin noscript loading stale", 0, 0, 0, "", Rewrite, "server", "Rewrite the configuration file with the in memory configuration", "2.8.0"));
        config.AddSubcommand(CommandTable.Create("help", 2, "loading stale", 0, 0, 0, "", Help, "server", "Show helpful text about the different subcommands", "5.0.0"));
    }

    private static void Help(CommandContext c) => ClientCommands.WriteHelp(c.Reply, HelpLines);

    // CONFIG GET pattern [pattern ...]: a name without glob characters is looked up exactly (aliases
    // too, replied under the name asked); a pattern matches every name and alias, ignoring case.
    private static void Get(CommandContext c)
    {
        var config = c.Server.Config;
        var matches = new List<(string Name, ConfigParameter Parameter)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 2; i < c.ArgCount; i++)
        {
            var pattern = c.Arg(i);
            if (pattern.IndexOfAny("[*?"u8) < 0)
            {
                string name = c.ArgString(i);
                if (config.Find(name) is { } parameter && seen.Add(name))
                {
                    matches.Add((name, parameter));
                }

                continue;
            }

            foreach (var parameter in config.Parameters)
            {
                AddMatch(parameter.Name, parameter, pattern, matches, seen);
                foreach (var alias in parameter.Aliases)
                {
                    AddMatch(alias, parameter, pattern, matches, seen);
                }
            }
        }

        var reply = c.Reply;
        reply.MapHeader(matches.Count);
        foreach (var (name, parameter) in matches)
        {
            reply.Bulk(name);
            reply.Bulk(parameter.Get());
        }
    }

    private static void AddMatch(string name, ConfigParameter parameter, ReadOnlySpan<byte> pattern, List<(string, ConfigParameter)> matches, HashSet<string> seen)
    {
        if (!seen.Contains(name) && GlobMatcher.IsMatch(pattern, Encoding.ASCII.GetBytes(name), ignoreCase: true))
        {
            seen.Add(name);
            matches.Add((name, parameter));
        }
    }

    // CONFIG SET name value [name value ...] (7.0): checked as a whole first (unknown, immutable,
    // protected, duplicate), then set one by one; when one value is refused, the ones already set are
    // restored, so the command changes all or nothing. Error texts as Redis's configSetCommand.
    private static void Set(CommandContext c)
    {
        if ((c.ArgCount & 1) != 0)
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        var config = c.Server.Config;
        int count = (c.ArgCount - 2) / 2;
        var parameters = new ConfigParameter[count];
        var values = new string[count];
        string? unknown = null;
        string? error = null;
        string? errorArg = null;
        for (int i = 0; i < count; i++)
        {
            string name = c.ArgString(2 + (2 * i));
            var parameter = config.Find(name);
            if (parameter is null)
            {
                if (error is null)
                {
                    unknown ??= name;
                }

                continue;
            }

            if (unknown is not null || error is not null)
            {
                continue;
            }

            if (!parameter.Mutable || (parameter.Protected && !ProtectedAllowed(config, c)))
            {
                error = parameter.Mutable ? "can't set protected config" : "can't set immutable config";
                errorArg = name;
                continue;
            }

            if (Array.IndexOf(parameters, parameter, 0, i) >= 0)
            {
                error = "duplicate parameter";
                errorArg = name;
                continue;
            }

            parameters[i] = parameter;
            values[i] = c.ArgString(3 + (2 * i));
        }

        if (unknown is not null)
        {
            c.Reply.Error($"ERR Unknown option or number of arguments for CONFIG SET - '{unknown}'");
            return;
        }

        if (error is not null)
        {
            c.Reply.Error(Failed(errorArg!, error));
            return;
        }

        var previous = new string[count];
        for (int i = 0; i < count; i++)
        {
            previous[i] = parameters[i].Get();
            string? refused = parameters[i].Set(values[i]);
            if (refused is not null)
            {
                for (int j = i - 1; j >= 0; j--)
                {
                    parameters[j].Set(previous[j]);
                }

                c.Reply.Error(Failed(parameters[i].Name, refused));
                return;
            }
        }

        c.Reply.Ok();
    }

    private static string Failed(string name, string reason) => $"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}";

    // enable-protected-configs: yes allows every client, local only loopback ones (Redis's allowProtectedAction).
    private static bool ProtectedAllowed(ServerConfig config, CommandContext c) => config.EnableProtectedConfigs switch
    {
        "yes" => true,
        "local" => IsLocal(c.Client.Address),
        _ => false,
    };

    private static bool IsLocal(string address)
    {
        int colon = address.LastIndexOf(':');
        string host = colon > 0 ? address[..colon] : address;
        return !IPAddress.TryParse(host, out var ip) || IPAddress.IsLoopback(ip);
    }

    // Redis's resetServerStats + resetCommandTableStats + resetErrorTableStats.
    private static void ResetStat(CommandContext c)
    {
        var stats = c.Server.Stats;
        stats.TotalConnectionsReceived = 0;
        stats.TotalCommandsProcessed = 0;
        stats.RejectedConnections = 0;
        stats.TotalNetInputBytes = 0;
        stats.TotalNetOutputBytes = 0;
        stats.UnexpectedErrorReplies = 0;
        c.Server.ErrorStats.Reset();
        var keyspace = c.Keyspace.Stats;
        keyspace.ExpiredKeys = 0;
        keyspace.EvictedKeys = 0;
        c.Server.Memory.ResetStats();
        keyspace.KeyspaceHits = 0;
        keyspace.KeyspaceMisses = 0;
        keyspace.ExpiredStalePercent = 0;
        keyspace.ExpireCycleCpuMilliseconds = 0;
        foreach (var command in c.Server.Commands.All)
        {
            Reset(command.Stats);
            foreach (var sub in command.Subcommands.Values)
            {
                Reset(sub.Stats);
            }
        }

        InfoCommand.ResetSamples(c.Server);
        c.Reply.Ok();
    }

    private static void Reset(CommandStats stats)
    {
        stats.Calls = 0;
        stats.Microseconds = 0;
        stats.RejectedCalls = 0;
        stats.FailedCalls = 0;
    }

    private static void Rewrite(CommandContext c)
    {
        var config = c.Server.Config;
        if (config.ConfigFile.Length == 0)
        {
            c.Reply.Error("ERR The server is running without a config file");
            return;
        }

        try
        {
            ConfigRewriter.Rewrite(config, config.ConfigFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            c.Reply.Error($"ERR Rewriting config file: {ex.Message}");
            return;
        }

        c.Reply.Ok();
    }
}
