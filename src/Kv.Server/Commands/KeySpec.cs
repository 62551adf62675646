using System.Globalization;

namespace Kv.Server.Commands;

/// <summary>
/// One Redis 7 key specification: where a command's keys start (begin_search) and how many follow
/// (find_keys), with the access flags COMMAND INFO and COMMAND GETKEYSANDFLAGS report for them.
/// </summary>
/// <remarks>
/// Rows write a spec in one line, the parts separated by <c>|</c>:
/// <c>"flags | begin | find [| notes]"</c>, where begin is <c>index N</c>, <c>keyword WORD STARTFROM</c> or
/// <c>unknown</c>, and find is <c>range LASTKEY KEYSTEP LIMIT</c>, <c>keynum KEYNUMIDX FIRSTKEY KEYSTEP</c> or
/// <c>unknown</c> — the same numbers as the key_specs of Redis's src/commands/*.json.
/// Example (SET): <c>"RW access update variable_flags | index 1 | range 0 1 0 | RW and ACCESS due to the optional `GET` argument"</c>.
/// </remarks>
internal sealed class KeySpec
{
    // Redis's addReplyFlagsForKeyArgs order.
    private static readonly string[] FlagOrder = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

    private KeySpec(string[] flags, BeginSearchKind begin, int index, string? keyword, FindKeysKind find, int a, int b, int c, string? notes)
    {
        Flags = flags;
        Begin = begin;
        Index = index;
        Keyword = keyword;
        Find = find;
        LastKeyOrKeyNumIndex = a;
        KeyStepOrFirstKey = b;
        LimitOrKeyStep = c;
        Notes = notes;
    }

    internal enum BeginSearchKind
    {
        Index,
        Keyword,
        Unknown,
    }

    internal enum FindKeysKind
    {
        Range,
        KeyNum,
        Unknown,
    }

    /// <summary>Key flags in Redis's reply order (RO, RW, OW, RM, access, update, insert, delete…).</summary>
    public string[] Flags { get; }

    public string? Notes { get; }

    public BeginSearchKind Begin { get; }

    /// <summary>begin_search index: the argument position; keyword: where the search starts (negative: from the end).</summary>
    public int Index { get; }

    public string? Keyword { get; }

    public FindKeysKind Find { get; }

    /// <summary>range: lastkey (relative to the first key; negative counts from the end); keynum: keynumidx.</summary>
    public int LastKeyOrKeyNumIndex { get; }

    /// <summary>range: keystep; keynum: firstkey.</summary>
    public int KeyStepOrFirstKey { get; }

    /// <summary>range: limit; keynum: keystep.</summary>
    public int LimitOrKeyStep { get; }

    /// <summary>A spec for a legacy first/last/step key range, as Redis's populateCommandLegacyRangeSpec reads it back.</summary>
    public static KeySpec FromLegacyRange(int firstKey, int lastKey, int step, string[] flags)
        => new(flags, BeginSearchKind.Index, firstKey, null, FindKeysKind.Range, lastKey >= 0 ? lastKey - firstKey : lastKey, step, 0, null);

    public static KeySpec Parse(string text)
    {
        string[] parts = text.Split('|', 4, StringSplitOptions.TrimEntries);
        if (parts.Length is < 3 or > 4)
        {
            throw new FormatException($"Key spec '{text}' needs 'flags | begin | find [| notes]'.");
        }

        string[] flags = parts[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var flag in flags)
        {
            if (Array.IndexOf(FlagOrder, flag) < 0)
            {
                throw new FormatException($"Unknown key spec flag '{flag}' in '{text}'.");
            }
        }

        Array.Sort(flags, (x, y) => Array.IndexOf(FlagOrder, x).CompareTo(Array.IndexOf(FlagOrder, y)));

        string[] begin = parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] find = parts[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (beginKind, index, keyword) = begin switch
        {
            ["index", var n] => (BeginSearchKind.Index, Number(n), (string?)null),
            ["keyword", var word, var from] => (BeginSearchKind.Keyword, Number(from), word),
            ["unknown"] => (BeginSearchKind.Unknown, 0, null),
            _ => throw new FormatException($"Bad begin_search '{parts[1]}' in '{text}'."),
        };
        var (findKind, a, b, c) = find switch
        {
            ["range", var last, var step, var limit] => (FindKeysKind.Range, Number(last), Number(step), Number(limit)),
            ["keynum", var numIndex, var first, var step] => (FindKeysKind.KeyNum, Number(numIndex), Number(first), Number(step)),
            ["unknown"] => (FindKeysKind.Unknown, 0, 0, 0),
            _ => throw new FormatException($"Bad find_keys '{parts[2]}' in '{text}'."),
        };
        return new KeySpec(flags, beginKind, index, keyword, findKind, a, b, c, parts.Length == 4 ? parts[3] : null);
    }

    private static int Number(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
