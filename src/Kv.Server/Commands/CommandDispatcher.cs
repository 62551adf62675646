using System.Diagnostics;
using System.Text;
using Kv.Server.Network;

namespace Kv.Server.Commands;

/// <summary>
/// Runs one parsed command: finds it in the table, applies the checks Redis applies before any
/// handler (unknown command, arity, authentication), runs it and counts it. The checks live here
/// and nowhere else.
/// </summary>
internal static class CommandDispatcher
{
    private const int SlowLogMaxArgs = 32;
    private const int SlowLogMaxArgLength = 128;

    public static void Execute(CommandContext context)
    {
        var server = context.Server;
        var client = context.Client;
        var reply = context.Reply;
        var command = server.Commands.Find(context.Arg(0));
        if (command is null)
        {
            reply.Error(UnknownCommand(context));
            server.Stats.TotalErrorReplies++;
            return;
        }

        if (command.Subcommands.Count > 0 && context.ArgCount > 1)
        {
            var sub = command.Subcommands.GetValueOrDefault(context.ArgString(1));
            if (sub is null)
            {
                command.Stats.RejectedCalls++;
                reply.Error($"ERR unknown subcommand '{Truncate(context.ArgString(1))}'. Try {command.Name.ToUpperInvariant()} HELP.");
                return;
            }

            command = sub;
        }

        if (!command.ArityMatches(context.ArgCount))
        {
            command.Stats.RejectedCalls++;
            reply.Error(Errors.WrongArgCount(command.FullName));
            return;
        }

        if (!client.Authenticated && !command.Has(CommandFlags.NoAuth))
        {
            command.Stats.RejectedCalls++;
            reply.Error(Errors.NoAuth);
            return;
        }

        context.Command = command;
        client.LastCommand = command;
        context.Now = server.Keyspace.NowMilliseconds;
        client.LastInteraction = context.Now;
        long errorsBefore = reply.ErrorCount;
        long started = Stopwatch.GetTimestamp();
        command.Handler!(context);
        long elapsedTicks = Stopwatch.GetTimestamp() - started;
        long micros = elapsedTicks * 1_000_000 / Stopwatch.Frequency;

        var stats = command.Stats;
        stats.Calls++;
        stats.Microseconds += micros;
        if (reply.ErrorCount != errorsBefore)
        {
            stats.FailedCalls++;
        }

        server.Stats.TotalCommandsProcessed++;
        int threshold = server.Config.SlowlogLogSlowerThan;
        if (threshold >= 0 && micros >= threshold && !command.Has(CommandFlags.SkipSlowlog))
        {
            LogSlow(context, micros);
        }
    }

    // Redis: "unknown command '%.128s', with args beginning with: " then each next argument as
    // '%.*s' followed by a space, until 128 characters of arguments have been written.
    private static string UnknownCommand(CommandContext context)
    {
        var args = new StringBuilder();
        for (int i = 1; i < context.ArgCount && args.Length < 128; i++)
        {
            string arg = context.ArgString(i);
            args.Append('\'').Append(arg.AsSpan(0, Math.Min(arg.Length, 128 - args.Length))).Append("' ");
        }

        return $"ERR unknown command '{Truncate(context.ArgString(0))}', with args beginning with: {args}";
    }

    private static string Truncate(string text) => text.Length > 128 ? text[..128] : text;

    private static void LogSlow(CommandContext context, long micros)
    {
        int count = Math.Min(context.ArgCount, SlowLogMaxArgs);
        var args = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            var arg = context.Arg(i);
            if (i == SlowLogMaxArgs - 1 && context.ArgCount > SlowLogMaxArgs)
            {
                args[i] = Encoding.ASCII.GetBytes($"... ({context.ArgCount - SlowLogMaxArgs + 1} more arguments)");
            }
            else if (arg.Length > SlowLogMaxArgLength)
            {
                args[i] = [.. arg[..SlowLogMaxArgLength], .. Encoding.ASCII.GetBytes($"... ({arg.Length - SlowLogMaxArgLength} more bytes)")];
            }
            else
            {
                args[i] = arg.ToArray();
            }
        }

        var client = context.Client;
        context.Server.SlowLog.Add(new SlowLogEntry(0, context.Now / 1000, micros, args, client.Address, client.Name ?? ""), context.Server.Config.SlowlogMaxLen);
    }
}
