namespace Kv.Server.Tests.Compatibility;

/// <summary>How a stream step is carried out.</summary>
public enum StepKind
{
    /// <summary>Send the generated command and compare the replies.</summary>
    Command,

    /// <summary>Iterate SCAN with the generated options to the end on both servers and compare the key sets.</summary>
    ScanIteration,
}

/// <summary>
/// One kind of command in the random stream.
/// </summary>
/// <param name="Name">Lower-case name as in the command table (`object|encoding` for subcommands).</param>
/// <param name="Arity">Redis's arity (negative = at least), used to generate wrong-arity variants; 0 = none.</param>
/// <param name="Weight">Relative frequency in the stream.</param>
/// <param name="Generate">The whole command, name first.</param>
/// <param name="Match">How the replies must agree.</param>
/// <param name="Kind">Plain command or a full SCAN iteration.</param>
public sealed record CompatCommand(string Name, int Arity, int Weight, Func<CommandStream, object[]> Generate, ReplyMatch Match = ReplyMatch.Exact, StepKind Kind = StepKind.Command);

/// <summary>
/// The commands of the random compatibility stream, as data: add a row to cover a command.
/// </summary>
public static class CompatCommands
{
    /// <summary>Every row: every command of the stream runs against both servers.</summary>
    public static IReadOnlyList<CompatCommand> All { get; } = Build();

    private static List<CompatCommand> Build()
    {
        var rows = new List<CompatCommand>();
        void Add(string name, int arity, int weight, Func<CommandStream, object[]> generate, ReplyMatch match = ReplyMatch.Exact, StepKind kind = StepKind.Command)
            => rows.Add(new CompatCommand(name, arity, weight, generate, match, kind));

        // Strings.
        Add("get", 2, 30, s => [s.Word("get"), s.Key()]);
        Add("set", -3, 40, s => [s.Word("set"), s.Key(), s.Value(), .. SetOptions(s)]);
        Add("setnx", 3, 6, s => [s.Word("setnx"), s.Key(), s.Value()]);
        Add("setex", 4, 6, s => [s.Word("setex"), s.Key(), s.Seconds(), s.Value()]);
        Add("psetex", 4, 4, s => [s.Word("psetex"), s.Key(), s.Milliseconds(), s.Value()]);
        Add("getset", 3, 6, s => [s.Word("getset"), s.Key(), s.Value()]);
        Add("getdel", 2, 6, s => [s.Word("getdel"), s.Key()]);
        Add("getex", -2, 8, s => [s.Word("getex"), s.Key(), .. GetExOptions(s)]);
        Add("mget", -2, 10, s => [s.Word("mget"), .. s.Keys(1, 5)]);
        Add("mset", -3, 8, s => [s.Word("mset"), .. Pairs(s)]);
        Add("msetnx", -3, 6, s => [s.Word("msetnx"), .. Pairs(s)]);
        Add("append", 3, 12, s => [s.Word("append"), s.Key(), s.Value()]);
        Add("strlen", 2, 8, s => [s.Word("strlen"), s.Key()]);
        Add("getrange", 4, 8, s => [s.Word("getrange"), s.Key(), s.Offset(), s.Offset()]);
        Add("substr", 4, 2, s => [s.Word("substr"), s.Key(), s.Offset(), s.Offset()]);
        Add("setrange", 4, 8, s => [s.Word("setrange"), s.Key(), SetRangeOffset(s), s.Value()]);
        Add("incr", 2, 14, s => [s.Word("incr"), s.Key()]);
        Add("decr", 2, 8, s => [s.Word("decr"), s.Key()]);
        Add("incrby", 3, 12, s => [s.Word("incrby"), s.Key(), s.Integer()]);
        Add("decrby", 3, 8, s => [s.Word("decrby"), s.Key(), s.Integer()]);
        Add("incrbyfloat", 3, 10, s => [s.Word("incrbyfloat"), s.Key(), s.Float()]);
        Add("lcs", -3, 3, s => [s.Word("lcs"), s.Key(), s.Key(), .. s.Options(2, () => [s.Word("len")], () => [s.Word("idx")], () => [s.Word("minmatchlen"), s.Integer()], () => [s.Word("withmatchlen")])]);

        // Bits (string values as bitmaps).
        Add("setbit", 4, 5, s => [s.Word("setbit"), s.Key(), s.Chance(0.9) ? s.Random.Next(0, 400).ToString(System.Globalization.CultureInfo.InvariantCulture) : s.Pick("-1", "abc", "4294967296"), s.Pick("0", "1", "1", "2", "x")]);
        Add("getbit", 3, 4, s => [s.Word("getbit"), s.Key(), s.Chance(0.9) ? s.Random.Next(0, 500).ToString(System.Globalization.CultureInfo.InvariantCulture) : s.Pick("-1", "abc", "4294967296")]);
        Add("bitcount", -2, 4, s => [s.Word("bitcount"), s.Key(), .. BitRange(s)]);
        Add("bitpos", -3, 4, s => [s.Word("bitpos"), s.Key(), s.Pick("0", "1", "2"), .. BitRange(s)]);
        Add("bitop", -4, 3, s => [s.Word("bitop"), s.Word(s.Pick("and", "or", "xor", "not", "nand")), s.Key(), .. s.Keys(1, 3)]);

        // Keys.
        Add("del", -2, 10, s => [s.Word("del"), .. s.Keys(1, 4)]);
        Add("unlink", -2, 4, s => [s.Word("unlink"), .. s.Keys(1, 3)]);
        Add("exists", -2, 8, s => [s.Word("exists"), .. s.Keys(1, 4)]);
        Add("type", 2, 6, s => [s.Word("type"), s.Key()]);
        Add("touch", -2, 4, s => [s.Word("touch"), .. s.Keys(1, 4)]);
        Add("expire", -3, 8, s => [s.Word("expire"), s.Key(), s.Seconds(), .. ExpireFlags(s)]);
        Add("pexpire", -3, 5, s => [s.Word("pexpire"), s.Key(), s.Milliseconds(), .. ExpireFlags(s)]);
        Add("expireat", -3, 4, s => [s.Word("expireat"), s.Key(), s.UnixSeconds(allowPast: true), .. ExpireFlags(s)]);
        Add("pexpireat", -3, 4, s => [s.Word("pexpireat"), s.Key(), s.UnixMilliseconds(allowPast: true), .. ExpireFlags(s)]);
        Add("ttl", 2, 8, s => [s.Word("ttl"), s.Key()], ReplyMatch.Seconds);
        Add("pttl", 2, 6, s => [s.Word("pttl"), s.Key()], ReplyMatch.Milliseconds);
        Add("expiretime", 2, 4, s => [s.Word("expiretime"), s.Key()], ReplyMatch.Seconds);
        Add("pexpiretime", 2, 3, s => [s.Word("pexpiretime"), s.Key()], ReplyMatch.Milliseconds);
        Add("persist", 2, 5, s => [s.Word("persist"), s.Key()]);
        Add("rename", 3, 5, s => [s.Word("rename"), s.Key(), s.Key()]);
        Add("renamenx", 3, 4, s => [s.Word("renamenx"), s.Key(), s.Key()]);
        Add("copy", -3, 4, s => [s.Word("copy"), s.Key(), s.Key(), .. s.Options(2, () => [s.Word("db"), s.Database()], () => [s.Word("replace")])]);
        Add("move", 3, 3, s => [s.Word("move"), s.Key(), s.Database()]);
        Add("keys", 2, 3, s => [s.Word("keys"), s.Pattern()], ReplyMatch.Unordered);
        Add("scan", -2, 3, s => [.. s.Options(3, () => [s.Word("match"), s.Pattern()], () => [s.Word("count"), s.Pick("1", "3", "10", "1000", "0", "-1", "abc")], () => [s.Word("type"), s.Pick("string", "list", "none")])], kind: StepKind.ScanIteration);
        Add("object|encoding", 3, 4, s => [s.Word("object"), s.Word("encoding"), s.Key()]);
        Add("object|refcount", 3, 2, s => [s.Word("object"), s.Word("refcount"), s.Key()]);
        Add("object|freq", 3, 1, s => [s.Word("object"), s.Word("freq"), s.Key()]);
        Add("object|help", 2, 1, s => [s.Word("object"), s.Word("help")]);
        Add("randomkey", 1, 2, s => [s.Word("randomkey")], ReplyMatch.NilOrValue);
        Add("dbsize", 1, 4, s => [s.Word("dbsize")]);

        // Connection and server.
        Add("select", 2, 6, s => [s.Word("select"), s.Database()]);
        Add("swapdb", 3, 1, s => [s.Word("swapdb"), s.Database(), s.Database()]);
        Add("flushall", -1, 1, s => [s.Word("flushall"), .. s.Options(1, () => [s.Word(s.Pick("sync", "async"))])]);
        Add("flushdb", -1, 1, s => [s.Word("flushdb"), .. s.Options(1, () => [s.Word(s.Pick("sync", "async"))])]);
        Add("echo", 2, 4, s => [s.Word("echo"), s.Text()]);
        Add("ping", -1, 4, s => [s.Word("ping"), .. s.Options(1, () => [s.Text()])]);
        Add("client|setname", 3, 2, s => [s.Word("client"), s.Word("setname"), s.Chance(0.7) ? s.Pick("app", "worker-1", "", "x") : s.Text()]);
        Add("client|getname", 2, 2, s => [s.Word("client"), s.Word("getname")]);

        // RESET: back to RESP2, database 0, no name (a RESP3 stream continues in RESP2).
        Add("reset", 1, 1, s => [s.Word("reset")]);

        return rows;
    }

    private static object[] SetOptions(CommandStream s)
    {
        var options = s.Options(
            3,
            () => [s.Word("nx")],
            () => [s.Word("xx")],
            () => [s.Word("get")],
            () => [s.Word("keepttl")],
            () => [s.Word("ex"), s.Seconds()],
            () => [s.Word("px"), s.Milliseconds()],
            () => [s.Word("exat"), s.UnixSeconds(allowPast: false)],
            () => [s.Word("pxat"), s.UnixMilliseconds(allowPast: false)],
            () => [s.Word(s.Pick("ex", "px", "exat", "pxat"))],
            () => [s.Word("bogus")]);
        return [.. options];
    }

    private static object[] GetExOptions(CommandStream s)
    {
        var options = s.Options(
            2,
            () => [s.Word("ex"), s.Seconds()],
            () => [s.Word("px"), s.Milliseconds()],
            () => [s.Word("exat"), s.UnixSeconds(allowPast: false)],
            () => [s.Word("pxat"), s.UnixMilliseconds(allowPast: false)],
            () => [s.Word("persist")],
            () => [s.Word("ex")],
            () => [s.Word("bogus")]);
        return [.. options];
    }

    private static object[] ExpireFlags(CommandStream s)
    {
        var flags = s.Options(2, () => [s.Word("nx")], () => [s.Word("xx")], () => [s.Word("gt")], () => [s.Word("lt")], () => [s.Word("bogus")]);
        return s.Chance(0.6) ? [] : [.. flags];
    }

    private static object[] Pairs(CommandStream s)
    {
        var args = new List<object>();
        int pairs = s.Random.Next(1, 4);
        for (int i = 0; i < pairs; i++)
        {
            args.Add(s.Key());
            args.Add(s.Value());
        }

        // Sometimes an odd count: Redis answers with the arity error.
        if (s.Chance(0.05))
        {
            args.Add(s.Key());
        }

        return [.. args];
    }

    // Offsets past 512 MB are answered with an error before any allocation; offsets just below it
    // would make both servers allocate half a gigabyte, so they are never generated.
    private static string SetRangeOffset(CommandStream s) => s.Chance(0.9)
        ? s.Random.Next(0, 80).ToString(System.Globalization.CultureInfo.InvariantCulture)
        : s.Pick("-1", "abc", "536870912", "9223372036854775807");

    private static object[] BitRange(CommandStream s)
    {
        if (s.Chance(0.4))
        {
            return [];
        }

        object[] range = [s.Offset(), s.Offset()];
        return s.Chance(0.3) ? [.. range, s.Word(s.Pick("byte", "bit", "word"))] : s.Chance(0.1) ? [s.Offset()] : range;
    }
}
