using System.Buffers;
using System.Diagnostics;
using System.Text;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Network;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Scripting;

/// <summary>
/// Runs EVAL scripts and functions: the Lua states (made on first use), the script cache, the function
/// libraries, the fake client whose commands scripts run, and the state other connections read to
/// answer <c>-BUSY</c> while a script runs past busy-reply-threshold.
/// </summary>
/// <remarks>
/// Scripts run on the calling connection's thread under the keyspace lock (so atomically); only
/// <see cref="Kill"/>, <see cref="BusyError"/> and <see cref="RunningFunction"/> are called without it.
/// </remarks>
internal sealed class ScriptingEngine : IDisposable
{
    [ThreadStatic]
    private static ScriptingEngine? t_current;

    private readonly ServerState _server;
    private readonly Lock _runGate = new();
    private readonly ArgRangeList _callRanges = new(16);
    private readonly ArrayBufferWriter<byte> _callOutput = new(256);
    private LuaScriptState? _eval;
    private LuaScriptState? _functions;
    private ClientSession? _scriptClient;
    private CommandContext? _callContext;
    private byte[] _callArgs = new byte[256];

    // What runs now (read by other connections without the keyspace lock).
    private const long LoadTimeoutMs = 500;

    private long _runStarted;
    private volatile bool _killRequested;
    private volatile bool _wrote;
    private bool _loading;
    private long _loadDeadline;

    // Set by the hook once the running script passes busy-reply-threshold (Redis's scriptIsTimedout).
    private volatile string? _busyError;
    private bool _runningEval;
    private bool _readOnly;
    private int _scriptResp = 2;
    private string? _runningName;
    private string[]? _runningCommand;

    public ScriptingEngine(ServerState server)
    {
        _server = server;
        Functions = new FunctionLibraries(this);
    }

    /// <summary>The engine whose script runs on this thread (the natives find it here).</summary>
    public static ScriptingEngine? Current => t_current;

    public ScriptCache Scripts { get; } = new();

    /// <summary>Work other connections hand to a busy script's thread (see <see cref="WhileBusyQueue"/>).</summary>
    public WhileBusyQueue WhileBusy { get; } = new();

    public FunctionLibraries Functions { get; }

    public ServerState Server => _server;

    /// <summary>The command running the current script (Redis's server.script_caller); null when none runs.</summary>
    public CommandContext? Caller { get; private set; }

    public LuaScriptState EvalState => _eval ??= new LuaScriptState(functions: false);

    public LuaScriptState FunctionState => _functions ??= new LuaScriptState(functions: true);

    /// <summary>Memory the Lua states use (INFO used_memory_lua / used_memory_vm_functions).</summary>
    public long EvalMemory => _eval?.UsedMemory ?? 0;

    public long FunctionMemory => _functions?.UsedMemory ?? 0;

    /// <summary>
    /// Runs a library's code (FUNCTION LOAD) so its redis.register_function calls reach this engine; null
    /// on success, else the error's err text. With <paramref name="timeout"/> the code is stopped after
    /// 500 ms with "FUNCTION LOAD timeout" as Redis's luaEngineLoadHook does (LOAD_TIMEOUT_MS); loading
    /// from disk has none, as Redis's RDB and AOF loading.
    /// </summary>
    public string? LoadLibrary(int chunkRef, bool timeout)
    {
        var state = FunctionState;
        var previous = t_current;
        t_current = this;
        _loadDeadline = timeout ? Stopwatch.GetTimestamp() + Stopwatch.Frequency * LoadTimeoutMs / 1000 : 0;
        _loading = true;
        try
        {
            return state.LoadLibrary(chunkRef);
        }
        finally
        {
            _loading = false;
            t_current = previous;

            // A timeout leaves the line hook set; the next code starts with the count hook again.
            state.ResetHook(0);
        }
    }

    #region EVAL

    /// <summary>EVAL, EVALSHA and their _RO forms.</summary>
    public void Eval(CommandContext c, bool bySha, bool readOnlyCommand)
    {
        if (!TryKeyCount(c, bad: null, out int numKeys))
        {
            return;
        }

        CachedScript? script;
        if (bySha)
        {
            script = Scripts.Find(c.Arg(1));
            if (script is null)
            {
                c.Reply.Error(ScriptErrors.NoScript);
                return;
            }
        }
        else
        {
            Span<byte> sha = stackalloc byte[40];
            ScriptCache.Sha1Hex(c.Arg(1), sha);
            script = Scripts.Find(sha);
            if (script is null)
            {
                script = Compile(c.Arg(1), sha, out string? error);
                if (script is null)
                {
                    c.Reply.Error(error!);
                    return;
                }
            }
        }

        bool readOnly = readOnlyCommand || (script.Flags & ScriptFlags.NoWrites) != 0;
        if (readOnlyCommand && (script.Flags & (ScriptFlags.NoWrites | ScriptFlags.EvalCompatibility)) == 0)
        {
            c.Reply.Error(ScriptErrors.WriteFlagInReadOnly);
            return;
        }

        var state = EvalState;
        state.SetGlobalArray("KEYS"u8, c, 3, numKeys);
        state.SetGlobalArray("ARGV"u8, c, 3 + numKeys, c.ArgCount - 3 - numKeys);
        state.PushHandlerAndFunction(script.FunctionRef);
        Run(c, state, 0, isEval: true, readOnly, script.Sha, null);
    }

    /// <summary>
    /// Whether an EVAL*/FCALL* is refused while out of memory, as Redis's evalGetCommandFlags and
    /// fcallGetCommandFlags make it: a script that declared its flags (a "#!lua" line, or any function)
    /// counts as denyoom unless it has allow-oom or no-writes; a plain script keeps EVAL's flags (not
    /// denyoom). Asked only when memory is short.
    /// </summary>
    public bool DeniesOom(CommandContext c, CommandDefinition command)
    {
        ScriptFlags flags;
        switch (command.Name)
        {
            case "eval" or "eval_ro" or "evalsha" or "evalsha_ro":
                bool bySha = command.Name.StartsWith("evalsha", StringComparison.Ordinal);
                var body = c.Arg(1);
                if (bySha && body.Length != 40)
                {
                    return false;
                }

                CachedScript? script;
                if (bySha)
                {
                    script = Scripts.Find(body);
                }
                else
                {
                    Span<byte> sha = stackalloc byte[40];
                    ScriptCache.Sha1Hex(body, sha);
                    script = Scripts.Find(sha);
                }

                if (script is not null)
                {
                    flags = script.Flags;
                }
                else if (bySha || !TryParseShebang(body, out flags, out _, out _))
                {
                    return false;
                }

                if ((flags & ScriptFlags.EvalCompatibility) != 0)
                {
                    return false;
                }

                break;
            case "fcall" or "fcall_ro":
                var function = Functions.Find(c.ArgString(1));
                if (function is null)
                {
                    return false;
                }

                flags = function.Flags;
                break;
            default:
                return false;
        }

        return (flags & (ScriptFlags.AllowOom | ScriptFlags.NoWrites)) == 0;
    }

    /// <summary>SCRIPT LOAD: compiles and caches; replies the SHA1.</summary>
    public void Load(CommandContext c)
    {
        Span<byte> sha = stackalloc byte[40];
        ScriptCache.Sha1Hex(c.Arg(2), sha);
        string? error = null;
        var script = Scripts.Find(sha) ?? Compile(c.Arg(2), sha, out error);
        if (script is null)
        {
            c.Reply.Error(error!);
            return;
        }

        c.Reply.Bulk(sha);
    }

    /// <summary>SCRIPT FLUSH: forgets every script (Redis also starts a fresh Lua state).</summary>
    public void FlushScripts()
    {
        Scripts.Clear();
        _eval?.Dispose();
        _eval = null;
    }

    private CachedScript? Compile(ReadOnlySpan<byte> body, ReadOnlySpan<byte> sha, out string? error)
    {
        if (!TryParseShebang(body, out var flags, out int skip, out error))
        {
            return null;
        }

        int reference = EvalState.Compile(body[skip..], "@user_script"u8, out string? compileError);
        if (reference < 0)
        {
            error = "ERR Error compiling script (new function): " + compileError;
            return null;
        }

        var script = new CachedScript(Encoding.ASCII.GetString(sha), body.ToArray(), reference, flags);
        Scripts.Add(script);
        return script;
    }

    // Redis 7.0's evalExtractShebangFlags: "#!lua [flags=a,b]" on the first line.
    private static bool TryParseShebang(ReadOnlySpan<byte> body, out ScriptFlags flags, out int shebangLength, out string? error)
    {
        flags = ScriptFlags.EvalCompatibility;
        shebangLength = 0;
        error = null;
        if (!body.StartsWith("#!"u8))
        {
            return true;
        }

        int end = body.IndexOf((byte)'\n');
        if (end < 0)
        {
            error = "ERR Invalid script shebang";
            return false;
        }

        shebangLength = end;
        var parts = SplitShebang(body[..end]);
        if (parts is null || parts.Count == 0 || parts[0] != "#!lua")
        {
            error = parts is null || parts.Count == 0 ? "ERR Invalid engine in script shebang" : "ERR Unexpected engine in script shebang: " + parts[0];
            return false;
        }

        flags = ScriptFlags.None;
        for (int i = 1; i < parts.Count; i++)
        {
            if (!parts[i].StartsWith("flags=", StringComparison.Ordinal))
            {
                error = "ERR Unknown lua shebang option: " + parts[i];
                return false;
            }

            // sdssplitlen: "flags=" has no flag, "flags=a,,b" an empty (unknown) one.
            if (parts[i].Length == 6)
            {
                continue;
            }

            foreach (string flag in parts[i][6..].Split(','))
            {
                var parsed = FunctionLibraries.ParseFlag(flag);
                if (parsed == ScriptFlags.None)
                {
                    error = "ERR Unexpected flag in script shebang: " + flag;
                    return false;
                }

                flags |= parsed;
            }
        }

        return true;
    }

    /// <summary>
    /// The words of a script's or library's "#!" line as Redis's sdssplitargs gives them (quotes and
    /// escapes as in inline commands); null on unbalanced quotes.
    /// </summary>
    public static List<string>? SplitShebang(ReadOnlySpan<byte> line)
    {
        var ranges = new ArgRangeList(8);
        var scratch = new ScratchBuffer(line.Length);
        if (!InlineSplitter.TrySplit(line, ranges, scratch))
        {
            return null;
        }

        var parts = new List<string>(ranges.Count);
        for (int i = 0; i < ranges.Count; i++)
        {
            parts.Add(Encoding.UTF8.GetString(scratch.Written.Slice(ranges[i].Offset, ranges[i].Length)));
        }

        return parts;
    }

    /// <summary>Parses numkeys (argument 2) as EVAL and FCALL do; replies the error itself.</summary>
    public static bool TryKeyCount(CommandContext c, string? bad, out int numKeys)
    {
        numKeys = 0;
        if (!RespNumber.TryParseInt64(c.Arg(2), out long n))
        {
            c.Reply.Error(bad ?? "ERR value is not an integer or out of range");
            return false;
        }

        if (n > c.ArgCount - 3)
        {
            c.Reply.Error(ScriptErrors.TooManyKeys);
            return false;
        }

        if (n < 0)
        {
            c.Reply.Error(ScriptErrors.NegativeKeys);
            return false;
        }

        numKeys = (int)n;
        return true;
    }

    #endregion

    #region Running

    /// <summary>
    /// Calls the function pushed (after the error handler) with <paramref name="arguments"/> arguments
    /// above it, and writes its result (or error) as the caller's reply.
    /// </summary>
    public void Run(CommandContext c, LuaScriptState state, int arguments, bool isEval, bool readOnly, string name, string[]? command)
    {
        IntPtr l = state.Handle;
        int handler = LuaApi.lua_gettop(l) - arguments - 1;
        var previous = t_current;
        var previousCaller = Caller;
        t_current = this;
        Caller = c;
        PrepareScriptClient(c);
        _readOnly = readOnly;
        _scriptResp = 2;
        _wrote = false;
        _killRequested = false;
        lock (_runGate)
        {
            _runningEval = isEval;
            _runningName = name;
            _runningCommand = command;
            Volatile.Write(ref _runStarted, Stopwatch.GetTimestamp());
        }

        long started = _runStarted;

        // Redis 7.0's scriptPrepareForRun snapshot: taken here, as the script starts under the keyspace lock
        // (not when its command was dispatched), and held for every command it calls (CommandContext.HeldTime).
        var calls = _callContext!;
        long previousHeld = calls.HeldTime;
        calls.HeldTime = _server.Keyspace.NowAt(started);

        int status;
        try
        {
            status = LuaApi.PCall(l, arguments, 1, handler);
        }
        finally
        {
            calls.HeldTime = previousHeld;
            lock (_runGate)
            {
                Volatile.Write(ref _runStarted, 0);
                _runningName = null;
                _runningCommand = null;
            }

            if (_busyError is not null)
            {
                // What other connections handed over is run before the lock is let go (Redis answers them
                // from processEventsWhileBlocked until the script returns).
                WhileBusy.Close();
                _busyError = null;
                _server.Logger.LogWarning("Slow script finished after {Milliseconds} milliseconds.", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            t_current = previous;
            Caller = previousCaller;
        }

        if (_killRequested)
        {
            // The hook fires on every line after a kill; the state's next code starts with the count
            // hook again, and no later code (a FUNCTION LOAD, the next script) sees the kill.
            _killRequested = false;
            state.ResetHook(0);
        }

        int result = LuaApi.lua_gettop(l);
        if (status == LuaApi.Ok)
        {
            LuaReplies.Write(l, result, c.Reply, _scriptResp);
        }
        else
        {
            WriteError(l, result, c, name);
        }

        LuaApi.lua_settop(l, handler - 1);
    }

    // Redis's luaCallFunction error path: "-<err> script: <name>, on <source>:<line>." (the location when known).
    private static void WriteError(IntPtr l, int index, CommandContext c, string name)
    {
        if (LuaApi.lua_type(l, index) != LuaApi.TypeTable)
        {
            string message = LuaApi.lua_type(l, index) == LuaApi.TypeString ? Encoding.UTF8.GetString(LuaApi.ToSpan(l, index)) : "execution failure";
            c.Reply.Error($"ERR Error running script {name}, {(message.Length > 100 ? message[..100] : message)}");
            return;
        }

        string err = LuaApi.RawGetField(l, index, "err"u8) == LuaApi.TypeString ? Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1)) : "ERR unknown error";
        LuaApi.Pop(l, 1);
        bool counted = LuaReplies.ErrorAlreadyCounted(l, index);
        var text = new StringBuilder(err);
        bool hasSource = LuaApi.RawGetField(l, index, "source"u8) == LuaApi.TypeString;
        string source = hasSource ? Encoding.UTF8.GetString(LuaApi.ToSpan(l, -1)) : "";
        LuaApi.Pop(l, 1);
        bool hasLine = LuaApi.RawGetField(l, index, "line"u8) == LuaApi.TypeNumber;
        long line = hasLine ? LuaApi.ToInteger(l, -1) : 0;
        LuaApi.Pop(l, 1);
        if (hasSource && hasLine)
        {
            text.Append(" script: ").Append(name).Append(", on ").Append(source).Append(':').Append(line).Append('.');
        }

        var counter = c.Reply.ErrorCounter;
        if (counted)
        {
            c.Reply.ErrorCounter = null;
        }

        c.Reply.Error(text.ToString());
        c.Reply.ErrorCounter = counter;
    }

    private void PrepareScriptClient(CommandContext c)
    {
        if (_scriptClient is null)
        {
            // Redis's Lua client: a fake client, authenticated, with its own selected database.
            _scriptClient = new ClientSession(0, "", "", c.Now) { Authenticated = true, Name = null };
            _callContext = new CommandContext(_server, _scriptClient, new RespWriter(_callOutput)) { InTransaction = true, InScript = true };
        }

        _scriptClient.Db = c.Client.Db;
        _scriptClient.Protocol = 2;
    }

    /// <summary>redis.call / redis.pcall: arguments at 1 (raise errors?) and 2…; see ScriptEnvironment.lua.</summary>
    public int CallFromScript(IntPtr l)
    {
        bool raise = LuaApi.lua_toboolean(l, 1) != 0;
        int argc = LuaApi.lua_gettop(l) - 1;
        if (argc == 0)
        {
            return RaiseTable(l, ScriptErrors.NoArguments);
        }

        // Copy the arguments into one buffer, as a request would hold them.
        _callRanges.Clear();
        int used = 0;
        Span<byte> number = stackalloc byte[32];
        for (int i = 2; i <= argc + 1; i++)
        {
            scoped ReadOnlySpan<byte> arg;
            switch (LuaApi.lua_type(l, i))
            {
                case LuaApi.TypeString:
                    arg = LuaApi.ToSpan(l, i);
                    break;
                case LuaApi.TypeNumber:
                    // Redis 7.0 formats numbers with %.17g (Lua 5.1 numbers are doubles); 5.4 integers print as such.
                    int written = LuaApi.IsInteger(l, i)
                        ? RespNumber.FormatInt64(LuaApi.ToInteger(l, i), number)
                        : RespNumber.FormatDouble(LuaApi.ToNumber(l, i), number);
                    arg = number[..written];
                    break;
                default:
                    return RaiseTable(l, ScriptErrors.BadArgument);
            }

            if (used + arg.Length > _callArgs.Length)
            {
                Array.Resize(ref _callArgs, Math.Max(_callArgs.Length * 2, used + arg.Length));
            }

            arg.CopyTo(_callArgs.AsSpan(used));
            _callRanges.Add(new ArgRange(used, arg.Length));
            used += arg.Length;
        }

        var context = _callContext!;
        context.SetArguments(_callArgs.AsMemory(0, used), _callRanges, 0, argc);

        string? refusal = Check(context, argc, out var refused);
        if (refusal is not null)
        {
            // Counted now, as Redis's scriptCall does (afterErrorReply, a rejected call), through the reply
            // writer's one rule for an error's code; not again when the script returns it.
            context.Reply.Error(refusal);
            _callOutput.ResetWrittenCount();
            if (refused is not null)
            {
                refused.Stats.RejectedCalls++;
            }

            LuaApi.lua_pushboolean(l, raise ? 0 : 1);
            PushErrorTable(l, refusal);
            LuaReplies.MarkErrorCounted(l);
            return 2;
        }

        _callOutput.ResetWrittenCount();
        context.Reply.Protocol = _scriptResp;
        CommandDispatcher.Execute(context);
        var reply = _callOutput.WrittenSpan;
        if (reply.Length == 0)
        {
            LuaApi.lua_pushboolean(l, 1);
            LuaApi.lua_pushnil(l);
            return 2;
        }

        LuaApi.lua_pushboolean(l, reply[0] == (byte)'-' && raise ? 0 : 1);
        LuaReplies.Push(l, reply);
        if (reply[0] == (byte)'-')
        {
            // The command's reply counted the error (redisProtocolToLuaType_Error marks it so).
            LuaReplies.MarkErrorCounted(l);
        }

        return 2;
    }

    // scriptCall's checks, in Redis's order; the error texts of a script's redis.call.
    private string? Check(CommandContext context, int argc, out CommandDefinition? command)
    {
        command = _server.Commands.Find(context.Arg(0));
        if (command is not null && command.Subcommands.Count > 0 && argc > 1)
        {
            command = command.Subcommands.GetValueOrDefault(context.ArgString(1));
        }

        if (command is null)
        {
            return ScriptErrors.UnknownCommand;
        }

        if (!command.ArityMatches(argc))
        {
            return ScriptErrors.WrongArgs;
        }

        if (command.Has(CommandFlags.NoScript))
        {
            return ScriptErrors.NotAllowed;
        }

        if (command.Has(CommandFlags.Write) || command.Has(CommandFlags.MayReplicate))
        {
            if (_readOnly)
            {
                return ScriptErrors.WriteInReadOnly;
            }

            // From here SCRIPT KILL answers UNKILLABLE (Redis's SCRIPT_WRITE_DIRTY).
            if (command.Has(CommandFlags.Write))
            {
                _wrote = true;
            }
        }

        return null;
    }

    private static int RaiseTable(IntPtr l, string error)
    {
        LuaApi.lua_pushboolean(l, 0);
        PushErrorTable(l, error);
        return 2;
    }

    private static void PushErrorTable(IntPtr l, string error)
    {
        LuaApi.lua_createtable(l, 0, 1);
        LuaApi.PushBytes(l, Encoding.UTF8.GetBytes(error));
        LuaApi.RawSetField(l, -2, "err"u8);
    }

    public void SetScriptResp(int resp)
    {
        _scriptResp = resp;
        if (_scriptClient is not null)
        {
            _scriptClient.Protocol = resp;
        }
    }

    public void Log(int level, string message)
    {
        var logLevel = level switch
        {
            0 => LogLevel.Debug,
            1 => LogLevel.Debug,
            2 => LogLevel.Information,
            _ => LogLevel.Warning,
        };
        _server.Logger.Log(logLevel, "Script: {Message}", message);
    }

    /// <summary>redis.acl_check_cmd: without ACL rules every existing command is allowed.</summary>
    public int AclCheck(IntPtr l)
    {
        int argc = LuaApi.lua_gettop(l);
        if (argc == 0 || LuaApi.lua_type(l, 1) != LuaApi.TypeString || _server.Commands.Find(LuaApi.ToSpan(l, 1)) is null)
        {
            return ScriptNatives.Fail(l, "Invalid command passed to redis.acl_check_cmd()");
        }

        LuaApi.lua_pushboolean(l, 1);
        LuaApi.lua_pushboolean(l, 1);
        return 2;
    }

    #endregion

    #region Busy scripts and KILL

    /// <summary>
    /// Null unless a script has run longer than busy-reply-threshold: then the -BUSY error other clients
    /// get (Redis rejects every command but the allow_busy ones).
    /// </summary>
    public string? BusyError() => _busyError;

    /// <summary>
    /// The hook the running script calls every 100,000 instructions (every line once killed), on its own
    /// thread under the keyspace lock (Redis's luaMaskCountHook → scriptInterrupt): past
    /// busy-reply-threshold the script becomes busy and the work other connections hand over runs here.
    /// Returns the error to stop the script with, or null to go on.
    /// </summary>
    public string? OnHook()
    {
        if (_busyError is null)
        {
            long started = Volatile.Read(ref _runStarted);
            if (started == 0)
            {
                // Not a script run by EVAL/FCALL (a library's body during FUNCTION LOAD has its own limit).
                return KillMessage();
            }

            long elapsed = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (elapsed < _server.Config.BusyReplyThreshold)
            {
                return KillMessage();
            }

            _server.Logger.LogWarning(
                "Slow script detected: still in execution after {Milliseconds} milliseconds. You can try killing the script using the {Command} command. Script name is: {Name}.",
                elapsed,
                _runningEval ? "SCRIPT KILL" : "FUNCTION KILL",
                _runningName);
            _busyError = _runningEval ? ScriptErrors.BusyEval : ScriptErrors.BusyFunction;
            WhileBusy.Open();
        }

        WhileBusy.RunPending();
        return KillMessage();
    }

    /// <summary>The server is stopping (SHUTDOWN NOSAVE while busy, or the embedded host's stop): the script ends at its next hook, writes or not.</summary>
    public void KillForShutdown()
    {
        lock (_runGate)
        {
            if (_runStarted != 0)
            {
                _killRequested = true;
            }
        }
    }

    /// <summary>SCRIPT KILL (<paramref name="eval"/>) or FUNCTION KILL; safe without the keyspace lock.</summary>
    public string? Kill(bool eval)
    {
        lock (_runGate)
        {
            if (_runStarted == 0)
            {
                return ScriptErrors.NotBusy;
            }

            if (_wrote)
            {
                return ScriptErrors.Unkillable;
            }

            if (eval != _runningEval)
            {
                return eval ? ScriptErrors.BusyFunction : ScriptErrors.BusyEval;
            }

            _killRequested = true;
            return null;
        }
    }

    /// <summary>The kill hook's question: the error to stop the script with, or null to go on.</summary>
    public string? KillMessage()
    {
        if (_loading)
        {
            return _loadDeadline != 0 && Stopwatch.GetTimestamp() > _loadDeadline ? ScriptErrors.LoadTimeout : null;
        }

        return _killRequested ? (_runningEval ? ScriptErrors.Killed : ScriptErrors.KilledFunction) : null;
    }

    /// <summary>FUNCTION STATS running_script: the function's name, command and run time; null when none.</summary>
    public (string Name, string[] Command, long DurationMs)? RunningFunction()
    {
        lock (_runGate)
        {
            if (_runStarted == 0 || _runningEval || _runningName is null)
            {
                return null;
            }

            return (_runningName, _runningCommand ?? [], (long)Stopwatch.GetElapsedTime(_runStarted).TotalMilliseconds);
        }
    }

    #endregion

    public void Dispose()
    {
        _eval?.Dispose();
        _functions?.Dispose();
    }
}
