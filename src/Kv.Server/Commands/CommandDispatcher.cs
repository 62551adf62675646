using System.Diagnostics;
using System.Text;
using Kv.Server.Network;
using Microsoft.Extensions.Logging;

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
            if (IsCrossProtocolScripting(context.Arg(0)))
            {
                RefuseCrossProtocolScripting(context);
                return;
            }

            client.Transaction?.FlagError();
            reply.Error(UnknownCommand(context));
            return;
        }

        if (command.Subcommands.Count > 0 && context.ArgCount > 1)
        {
            var sub = command.Subcommands.GetValueOrDefault(context.ArgString(1));
            if (sub is null)
            {
                command.Stats.RejectedCalls++;
                client.Transaction?.FlagError();
                reply.Error(UnknownSubcommand(context, command.Name));
                return;
            }

            command = sub;
        }

        if (!command.ArityMatches(context.ArgCount))
        {
            command.Stats.RejectedCalls++;
            Reject(context, command, Errors.WrongArgCount(command.FullName));
            return;
        }

        if (!client.Authenticated && !command.Has(CommandFlags.NoAuth))
        {
            command.Stats.RejectedCalls++;
            Reject(context, command, Encoding.ASCII.GetString(Errors.NoAuth));
            return;
        }

        if (client.Transaction is { Active: true } && command.Has(CommandFlags.NoMulti))
        {
            // Redis: SHUTDOWN, SAVE… are refused while queuing (and doom the transaction), never run by EXEC.
            command.Stats.RejectedCalls++;
            Reject(context, command, "ERR Command not allowed inside a transaction");
            return;
        }

        if (client.Protocol == 2 && client.IsPubSub && !PubSubCommands.AllowedWhileSubscribed(command))
        {
            command.Stats.RejectedCalls++;
            Reject(context, command, Errors.NotAllowedWhileSubscribed(command.FullName));
            return;
        }

        if (server.Memory.Enabled || !server.Aof.LastWriteOk)
        {
            if (Persistence.MemoryLimit.RejectsBeforeRun(context, command) is { } refusal)
            {
                command.Stats.RejectedCalls++;
                Reject(context, command, refusal);
                return;
            }
        }

        // RDB: -MISCONF after a failed save, -LOADING during start-up (Redis's processCommand order: after OOM).
        if (server.Rdb.Gate && Persistence.Rdb.RdbPersistence.RejectsBeforeRun(context, command) is { } rdbRefusal)
        {
            command.Stats.RejectedCalls++;
            Reject(context, command, rdbRefusal);
            return;
        }

        if (context.BusyError is { } busy && !command.Has(CommandFlags.AllowBusy))
        {
            command.Stats.RejectedCalls++;
            Reject(context, command, busy);
            return;
        }

        context.Command = command;
        client.LastCommand = command;
        long timestamp = Stopwatch.GetTimestamp();
        long now = server.Keyspace.NowAt(timestamp);
        context.Now = now;
        if (context.HeldTime != 0)
        {
            // A script's command: keys expire against the script's start, times count from now.
            context.Now = context.HeldTime;
            context.CurrentTime = now;
        }

        client.LastInteraction = now;
        if (client.Transaction is { Active: true } transaction && !TransactionCommands.RunsInsideMulti(command))
        {
            transaction.Queue(context, command);
            reply.SimpleString("QUEUED"u8);
            return;
        }

        context.CallStarted = timestamp;
        Call(context, command);
    }

    /// <summary>
    /// Runs a command that passed the checks and counts it (Redis's call()): from <see cref="Execute"/>
    /// and for each command EXEC runs.
    /// </summary>
    public static void Call(CommandContext context, CommandDefinition command)
    {
        var server = context.Server;
        var reply = context.Reply;
        long errorsBefore = reply.ErrorCount;
        long started = context.CallStarted;
        context.CallStarted = 0;
        if (started == 0)
        {
            // A command EXEC runs: keys still expire against EXEC's start (Now), as Redis 7.0's call() only
            // updates the cached time for the outermost command, but times count from now (mstime()).
            started = Stopwatch.GetTimestamp();
            context.CurrentTime = server.Keyspace.NowAt(started);
        }

        // Propagation (the AOF): a command that changed data joins the current unit (Redis's call() → alsoPropagate).
        var propagation = server.Keyspace.Propagation;
        long dirty = server.Keyspace.Dirty;
        propagation.Enter(command);
        try
        {
            command.Handler!(context);
        }
        finally
        {
            propagation.Exit(context, command, dirty);
        }

        if (server.Tracking.ClientCount != 0)
        {
            // Redis's call(): keys read by a tracking client's read-only command are remembered.
            server.Tracking.AfterRead(context, command);
        }

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

    // Redis's processCommand: "POST" or "Host:" as a command is a browser made to talk to the server
    // (cross-protocol scripting): the connection is closed before anything it sent runs, with no reply.
    // Neither is a command, so it is looked for only among unknown names, off the path of real commands.
    private static bool IsCrossProtocolScripting(ReadOnlySpan<byte> name) =>
        System.Text.Ascii.EqualsIgnoreCase(name, "post"u8) || System.Text.Ascii.EqualsIgnoreCase(name, "host:"u8);

    private static long s_securityWarningLogged;

    private static void RefuseCrossProtocolScripting(CommandContext context)
    {
        // Redis's securityWarningCommand logs at most once a minute.
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref s_securityWarningLogged);
        if ((last == 0 || now - last > 60_000) && Interlocked.CompareExchange(ref s_securityWarningLogged, now, last) == last)
        {
            context.Server.Logger.LogWarning("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
        }

        // freeClientAsync: the replies of what came before in the same read are never written either.
        context.Client.CloseRequested = true;
        context.Client.Abort?.Invoke();
    }

    // Redis's rejectCommand: a rejected command dooms a transaction being queued, and a rejected
    // EXEC discards it, answering "-EXECABORT Transaction discarded because of: <error>".
    private static void Reject(CommandContext context, CommandDefinition command, string error)
    {
        context.Client.Transaction?.FlagError();
        if (TransactionCommands.IsExec(command))
        {
            TransactionCommands.AbortExec(context, error);
            return;
        }

        context.Reply.Error(error);
    }

    // Redis: "unknown command '%.128s', with args beginning with: " then each next argument as
    // '%.*s' followed by a space, until 128 characters of arguments have been written. printf's %s
    // stops at a NUL byte and copies other bytes as they are; CR and LF become spaces.
    private static byte[] UnknownCommand(CommandContext context)
    {
        var text = new List<byte>(256);
        text.AddRange("ERR unknown command '"u8);
        AppendPrintf(text, context.Arg(0), 128);
        text.AddRange("', with args beginning with: "u8);
        int argsStart = text.Count;
        for (int i = 1; i < context.ArgCount && text.Count - argsStart < 128; i++)
        {
            int room = 128 - (text.Count - argsStart); // measured before the opening quote, as Redis's '%.*s' precision is
            text.Add((byte)'\'');
            AppendPrintf(text, context.Arg(i), room);
            text.AddRange("' "u8);
        }

        return text.ToArray();
    }

    private static byte[] UnknownSubcommand(CommandContext context, string container)
    {
        var text = new List<byte>(160);
        text.AddRange("ERR unknown subcommand '"u8);
        AppendPrintf(text, context.Arg(1), 128);
        text.AddRange(Encoding.ASCII.GetBytes($"'. Try {container.ToUpperInvariant()} HELP."));
        return text.ToArray();
    }

    private static void AppendPrintf(List<byte> text, ReadOnlySpan<byte> value, int precision)
    {
        for (int i = 0; i < value.Length && i < precision && value[i] != 0; i++)
        {
            text.Add(value[i] is (byte)'\r' or (byte)'\n' ? (byte)' ' : value[i]);
        }
    }

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
        context.Server.SlowLog.Add(new SlowLogEntry(0, context.CurrentTime / 1000, micros, args, client.Address, client.Name ?? ""), context.Server.Config.SlowlogMaxLen);
    }
}
