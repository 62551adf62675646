namespace Kv.Server.Commands;

/// <summary>The [MATCH pattern] [COUNT count] options HSCAN, SSCAN and ZSCAN share, parsed as Redis's scanGenericCommand.</summary>
internal static class ScanOptions
{
    /// <summary>Redis's default COUNT.</summary>
    public const long DefaultCount = 10;

    /// <summary>
    /// Parses options from argument <paramref name="first"/> on into <paramref name="count"/> and
    /// <paramref name="patternArg"/> (the MATCH pattern's index, or -1); replies the error and returns
    /// false when they are wrong.
    /// </summary>
    public static bool TryParse(CommandContext c, int first, out long count, out int patternArg)
    {
        count = DefaultCount;
        patternArg = -1;
        for (int i = first; i < c.ArgCount; i++)
        {
            bool hasValue = i + 1 < c.ArgCount;
            if (c.ArgIs(i, "count"u8) && hasValue)
            {
                if (!c.TryArgLong(++i, out count))
                {
                    return false;
                }

                if (count < 1)
                {
                    c.Reply.Error(Errors.Syntax);
                    return false;
                }
            }
            else if (c.ArgIs(i, "match"u8) && hasValue)
            {
                patternArg = ++i;
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return false;
            }
        }

        return true;
    }
}
