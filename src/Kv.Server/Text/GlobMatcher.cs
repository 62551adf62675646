namespace Kv.Server.Text;

/// <summary>
/// Redis's glob-style matching (stringmatchlen): <c>*</c>, <c>?</c>, <c>[abc]</c>, <c>[^a]</c>,
/// <c>[a-z]</c> and <c>\x</c> escapes. The one matcher behind KEYS, SCAN MATCH, CONFIG GET and
/// pattern subscriptions.
/// </summary>
internal static class GlobMatcher
{
    // Redis caps recursion on '*' to defend against patterns that would take exponential time.
    private const int MaxNesting = 1000;

    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool ignoreCase = false)
    {
        bool skipLongerMatches = false;
        return Match(pattern, text, ignoreCase, ref skipLongerMatches, 0);
    }

    /// <summary>True when the pattern is a lone <c>*</c>, which matches everything.</summary>
    public static bool MatchesAll(ReadOnlySpan<byte> pattern) => pattern.Length == 1 && pattern[0] == (byte)'*';

    private static bool Match(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text, bool nocase, ref bool skipLongerMatches, int nesting)
    {
        if (nesting > MaxNesting)
        {
            return false;
        }

        while (pattern.Length > 0 && text.Length > 0)
        {
            switch (pattern[0])
            {
                case (byte)'*':
                    while (pattern.Length > 1 && pattern[1] == (byte)'*')
                    {
                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 1)
                    {
                        return true;
                    }

                    while (text.Length > 0)
                    {
                        if (Match(pattern[1..], text, nocase, ref skipLongerMatches, nesting + 1))
                        {
                            return true;
                        }

                        if (skipLongerMatches)
                        {
                            return false;
                        }

                        text = text[1..];
                    }

                    // No match for the rest of the pattern anywhere: a longer '*' cannot help.
                    skipLongerMatches = true;
                    return false;

                case (byte)'?':
                    text = text[1..];
                    break;

                case (byte)'[':
                {
                    pattern = pattern[1..];
                    bool not = pattern.Length > 0 && pattern[0] == (byte)'^';
                    if (not)
                    {
                        pattern = pattern[1..];
                    }

                    bool match = false;
                    while (true)
                    {
                        if (pattern.Length == 0)
                        {
                            break;
                        }

                        if (pattern[0] == (byte)'\\' && pattern.Length >= 2)
                        {
                            pattern = pattern[1..];
                            if (pattern[0] == text[0])
                            {
                                match = true;
                            }
                        }
                        else if (pattern[0] == (byte)']')
                        {
                            break;
                        }
                        else if (pattern.Length >= 3 && pattern[1] == (byte)'-')
                        {
                            int start = pattern[0], end = pattern[2], c = text[0];
                            if (start > end)
                            {
                                (start, end) = (end, start);
                            }

                            if (nocase)
                            {
                                start = Lower(start);
                                end = Lower(end);
                                c = Lower(c);
                            }

                            pattern = pattern[2..];
                            if (c >= start && c <= end)
                            {
                                match = true;
                            }
                        }
                        else if (Equal(pattern[0], text[0], nocase))
                        {
                            match = true;
                        }

                        pattern = pattern[1..];
                    }

                    if (pattern.Length == 0)
                    {
                        // Redis treats a pattern ending inside '[...' as if the bracket closed at the end.
                        pattern = "]"u8;
                    }

                    if (not)
                    {
                        match = !match;
                    }

                    if (!match)
                    {
                        return false;
                    }

                    text = text[1..];
                    break;
                }

                case (byte)'\\':
                    if (pattern.Length >= 2)
                    {
                        pattern = pattern[1..];
                    }

                    goto default;

                default:
                    if (!Equal(pattern[0], text[0], nocase))
                    {
                        return false;
                    }

                    text = text[1..];
                    break;
            }

            pattern = pattern[1..];
            if (text.Length == 0)
            {
                while (pattern.Length > 0 && pattern[0] == (byte)'*')
                {
                    pattern = pattern[1..];
                }

                break;
            }
        }

        return pattern.Length == 0 && text.Length == 0;
    }

    private static bool Equal(byte a, byte b, bool nocase) => a == b || (nocase && Lower(a) == Lower(b));

    private static int Lower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;
}
