using System.Globalization;
using System.Text;

namespace Kv.Server.Commands;

/// <summary>
/// One argument of a command as COMMAND DOCS describes it (Redis 7.0's redisCommandArg: name, type,
/// key_spec_index, token, since, deprecated_since, flags, nested arguments).
/// </summary>
/// <remarks>
/// Rows write the argument list in one line, arguments separated by spaces:
/// <c>name:type</c> followed by any of <c>=TOKEN</c>, <c>@since</c>, <c>!deprecated-since</c>, <c>#key-spec-index</c>,
/// <c>?</c> (optional), <c>*</c> (multiple), <c>+</c> (multiple_token), then for a oneof or block its
/// arguments in parentheses. A name or token with other characters than letters, digits, <c>_ - .</c> is
/// quoted in single quotes. Example (SET's first arguments):
/// <c>key:key#0 value:string condition:oneof@2.6.12?(nx:pure-token=NX xx:pure-token=XX)</c>.
/// </remarks>
internal sealed class CommandArgument
{
    private static readonly string[] Types = ["string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"];

    public required string Name { get; init; }

    /// <summary>string, integer, double, key, pattern, unix-time, pure-token, oneof or block.</summary>
    public required string Type { get; init; }

    /// <summary>Index into the command's key specs for a key argument; -1 otherwise.</summary>
    public int KeySpecIndex { get; init; } = -1;

    public string? Token { get; init; }

    public string? Since { get; init; }

    public string? DeprecatedSince { get; init; }

    public bool Optional { get; init; }

    public bool Multiple { get; init; }

    public bool MultipleToken { get; init; }

    /// <summary>The choices of a oneof or the parts of a block.</summary>
    public CommandArgument[] Arguments { get; init; } = [];

    public bool IsContainer => Type is "oneof" or "block";

    public static CommandArgument[] ParseList(string text)
    {
        int position = 0;
        var list = ParseList(text, ref position);
        if (position != text.Length)
        {
            throw Bad(text, position, "unexpected ')'");
        }

        return list;
    }

    private static CommandArgument[] ParseList(string text, ref int position)
    {
        var list = new List<CommandArgument>();
        while (true)
        {
            while (position < text.Length && text[position] == ' ')
            {
                position++;
            }

            if (position == text.Length || text[position] == ')')
            {
                return [.. list];
            }

            list.Add(ParseOne(text, ref position));
        }
    }

    private static CommandArgument ParseOne(string text, ref int position)
    {
        string name = Word(text, ref position);
        if (position >= text.Length || text[position] != ':')
        {
            throw Bad(text, position, "expected ':type'");
        }

        position++;
        int start = position;
        while (position < text.Length && (char.IsAsciiLetterLower(text[position]) || text[position] == '-'))
        {
            position++;
        }

        string type = text[start..position];
        if (Array.IndexOf(Types, type) < 0)
        {
            throw Bad(text, start, $"unknown argument type '{type}'");
        }

        int keySpecIndex = -1;
        string? token = null, since = null, deprecatedSince = null;
        bool optional = false, multiple = false, multipleToken = false;
        CommandArgument[] arguments = [];
        while (position < text.Length && text[position] is not (' ' or ')'))
        {
            char sigil = text[position++];
            switch (sigil)
            {
                case '=': token = Word(text, ref position); break;
                case '@': since = Word(text, ref position); break;
                case '!': deprecatedSince = Word(text, ref position); break;
                case '#': keySpecIndex = int.Parse(Word(text, ref position), CultureInfo.InvariantCulture); break;
                case '?': optional = true; break;
                case '*': multiple = true; break;
                case '+': multipleToken = true; break;
                case '(':
                    arguments = ParseList(text, ref position);
                    if (position >= text.Length || text[position] != ')')
                    {
                        throw Bad(text, position, "expected ')'");
                    }

                    position++;
                    break;
                default: throw Bad(text, position - 1, $"unexpected '{sigil}'");
            }
        }

        if (type == "key" && keySpecIndex < 0)
        {
            throw Bad(text, position, $"key argument '{name}' needs #key-spec-index");
        }

        return new CommandArgument
        {
            Name = name, Type = type, KeySpecIndex = keySpecIndex, Token = token, Since = since, DeprecatedSince = deprecatedSince,
            Optional = optional, Multiple = multiple, MultipleToken = multipleToken, Arguments = arguments,
        };
    }

    // A bare word (letters, digits, _ - .) or a single-quoted one.
    private static string Word(string text, ref int position)
    {
        if (position < text.Length && text[position] == '\'')
        {
            int end = text.IndexOf('\'', position + 1);
            if (end < 0)
            {
                throw Bad(text, position, "unterminated quote");
            }

            string quoted = text[(position + 1)..end];
            position = end + 1;
            return quoted;
        }

        var word = new StringBuilder();
        while (position < text.Length && (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '_' or '-' or '.'))
        {
            word.Append(text[position++]);
        }

        if (word.Length == 0)
        {
            throw Bad(text, position, "expected a word");
        }

        return word.ToString();
    }

    private static FormatException Bad(string text, int position, string what)
        => new($"Argument list '{text}' at {position}: {what}.");
}
