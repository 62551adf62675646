namespace Kv.Protocol;

/// <summary>
/// Splits an inline request into arguments the way Redis's sdssplitargs does: spaces separate,
/// "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' take \', and a
/// closing quote must be followed by a space or the end of the line.
/// </summary>
public static class InlineSplitter
{
    /// <summary>Appends the arguments of <paramref name="line"/> (unescaped into <paramref name="scratch"/>) to <paramref name="args"/>; false on unbalanced quotes.</summary>
    public static bool TrySplit(ReadOnlySpan<byte> line, ArgRangeList args, ScratchBuffer scratch)
    {
        int i = 0;
        while (true)
        {
            while (i < line.Length && IsSpace(line[i]))
            {
                i++;
            }

            if (i == line.Length)
            {
                return true;
            }

            int start = scratch.Length;
            bool inDouble = false, inSingle = false, done = false;
            while (!done)
            {
                if (inDouble)
                {
                    if (i == line.Length)
                    {
                        return false;
                    }

                    byte c = line[i];
                    if (c == '\\' && i + 3 < line.Length && line[i + 1] == 'x' && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                    {
                        scratch.Append((byte)((HexValue(line[i + 2]) << 4) | HexValue(line[i + 3])));
                        i += 3;
                    }
                    else if (c == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        scratch.Append(line[i] switch
                        {
                            (byte)'n' => (byte)'\n',
                            (byte)'r' => (byte)'\r',
                            (byte)'t' => (byte)'\t',
                            (byte)'b' => (byte)'\b',
                            (byte)'a' => (byte)'\a',
                            var other => other,
                        });
                    }
                    else if (c == '"')
                    {
                        if (i + 1 < line.Length && !IsSpace(line[i + 1]))
                        {
                            return false;
                        }

                        done = true;
                    }
                    else
                    {
                        scratch.Append(c);
                    }
                }
                else if (inSingle)
                {
                    if (i == line.Length)
                    {
                        return false;
                    }

                    byte c = line[i];
                    if (c == '\\' && i + 1 < line.Length && line[i + 1] == '\'')
                    {
                        i++;
                        scratch.Append((byte)'\'');
                    }
                    else if (c == '\'')
                    {
                        if (i + 1 < line.Length && !IsSpace(line[i + 1]))
                        {
                            return false;
                        }

                        done = true;
                    }
                    else
                    {
                        scratch.Append(c);
                    }
                }
                else
                {
                    if (i == line.Length)
                    {
                        break;
                    }

                    byte c = line[i];
                    switch (c)
                    {
                        case (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t' or 0:
                            done = true;
                            break;
                        case (byte)'"':
                            inDouble = true;
                            break;
                        case (byte)'\'':
                            inSingle = true;
                            break;
                        default:
                            scratch.Append(c);
                            break;
                    }
                }

                if (i < line.Length)
                {
                    i++;
                }
            }

            args.Add(new ArgRange(start, scratch.Length - start));
        }
    }

    private static bool IsSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';

    private static bool IsHex(byte c) => char.IsAsciiHexDigit((char)c);

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
