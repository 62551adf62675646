namespace Kv.Server.Configuration;

/// <summary>
/// The notify-keyspace-events classes, parsed and printed as Redis's keyspaceEventsStringToFlags
/// and keyspaceEventsFlagsToString do (so CONFIG SET "KEA" reads back as "AKE").
/// </summary>
internal static class KeyspaceEvents
{
    public const int Keyspace = 1 << 0;   // K
    public const int Keyevent = 1 << 1;   // E
    public const int Generic = 1 << 2;    // g
    public const int String = 1 << 3;     // $
    public const int List = 1 << 4;       // l
    public const int Set = 1 << 5;        // s
    public const int Hash = 1 << 6;       // h
    public const int SortedSet = 1 << 7;  // z
    public const int Expired = 1 << 8;    // x
    public const int Evicted = 1 << 9;    // e
    public const int Stream = 1 << 10;    // t
    public const int KeyMiss = 1 << 11;   // m
    public const int Module = 1 << 12;    // d
    public const int New = 1 << 13;       // n

    /// <summary>'A': every class but key-miss and new (Redis's NOTIFY_ALL).</summary>
    public const int All = Generic | String | List | Set | Hash | SortedSet | Expired | Evicted | Stream | Module;

    public static bool TryParse(string text, out int flags)
    {
        flags = 0;
        foreach (char ch in text)
        {
            int flag = ch switch
            {
                'A' => All,
                'g' => Generic,
                '$' => String,
                'l' => List,
                's' => Set,
                'h' => Hash,
                'z' => SortedSet,
                'x' => Expired,
                'e' => Evicted,
                'K' => Keyspace,
                'E' => Keyevent,
                't' => Stream,
                'm' => KeyMiss,
                'd' => Module,
                'n' => New,
                _ => -1,
            };
            if (flag < 0)
            {
                flags = 0;
                return false;
            }

            flags |= flag;
        }

        return true;
    }

    public static string ToText(int flags)
    {
        var text = new System.Text.StringBuilder();
        if ((flags & All) == All)
        {
            text.Append('A');
        }
        else
        {
            Append(text, flags, Generic, 'g');
            Append(text, flags, String, '$');
            Append(text, flags, List, 'l');
            Append(text, flags, Set, 's');
            Append(text, flags, Hash, 'h');
            Append(text, flags, SortedSet, 'z');
            Append(text, flags, Expired, 'x');
            Append(text, flags, Evicted, 'e');
            Append(text, flags, Stream, 't');
            Append(text, flags, Module, 'd');
            Append(text, flags, New, 'n');
        }

        Append(text, flags, Keyspace, 'K');
        Append(text, flags, Keyevent, 'E');
        Append(text, flags, KeyMiss, 'm');
        return text.ToString();
    }

    private static void Append(System.Text.StringBuilder text, int flags, int flag, char letter)
    {
        if ((flags & flag) != 0)
        {
            text.Append(letter);
        }
    }
}
