using System.Globalization;
using System.Text;

namespace Kv.Server.Persistence.Aof;

/// <summary>The kind of one file of a multi-part AOF, as the manifest's <c>type</c> field names it.</summary>
internal enum AofFileType
{
    Base,
    Incr,
    History,
}

/// <summary>One line of the manifest: <c>file appendonly.aof.1.incr.aof seq 1 type i</c>.</summary>
internal sealed record AofFileInfo(string Name, long Seq, AofFileType Type);

/// <summary>
/// Redis 7.0's multi-part AOF manifest (aof.c): which base file and which incr files, in order,
/// make up the data. <c>appendonlydir/appendonly.aof.manifest</c> lists lines such as
/// <c>file appendonly.aof.1.base.aof seq 1 type b</c>; redis-server and redis-check-aof read the same.
/// </summary>
internal sealed class AofManifest
{
    public AofFileInfo? Base { get; set; }

    public List<AofFileInfo> Incrs { get; } = [];

    public List<AofFileInfo> History { get; } = [];

    public long CurrentBaseSeq { get; set; }

    public long CurrentIncrSeq { get; set; }

    /// <summary>No base and no incr file (Redis's check before upgrading a single-file AOF).</summary>
    public bool IsEmpty => Base is null && Incrs.Count == 0;

    public AofManifest Clone()
    {
        var copy = new AofManifest { Base = Base, CurrentBaseSeq = CurrentBaseSeq, CurrentIncrSeq = CurrentIncrSeq };
        copy.Incrs.AddRange(Incrs);
        copy.History.AddRange(History);
        return copy;
    }

    /// <summary>Redis's getBaseAofFilename / getNewIncrAofName: <c>appendonly.aof.&lt;seq&gt;.base.aof</c>, <c>appendonly.aof.&lt;seq&gt;.incr.aof</c>.</summary>
    public static string BaseName(string appendFilename, long seq, bool rdb = false) =>
        string.Create(CultureInfo.InvariantCulture, $"{appendFilename}.{seq}.base.{(rdb ? "rdb" : "aof")}");

    public static string IncrName(string appendFilename, long seq) =>
        string.Create(CultureInfo.InvariantCulture, $"{appendFilename}.{seq}.incr.aof");

    public static string ManifestName(string appendFilename) => appendFilename + ".manifest";

    /// <summary>Redis's getAofManifestAsString: history first, then the base, then the incr files.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        foreach (var file in History)
        {
            Line(text, file);
        }

        if (Base is not null)
        {
            Line(text, Base);
        }

        foreach (var file in Incrs)
        {
            Line(text, file);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, AofFileInfo file)
    {
        char type = file.Type switch { AofFileType.Base => 'b', AofFileType.Incr => 'i', _ => 'h' };
        text.Append(CultureInfo.InvariantCulture, $"file {Quote(file.Name)} seq {file.Seq} type {type}\n");
    }

    // Redis writes names with sdscatrepr only when they need quoting (spaces, quotes, control bytes).
    private static string Quote(string name)
    {
        foreach (char ch in name)
        {
            if (ch <= ' ' || ch == '"' || ch == '\'' || ch == '\\' || ch > '~')
            {
                return "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
            }
        }

        return name;
    }

    /// <summary>Parses a manifest as Redis's aofLoadManifestFromFile does; throws <see cref="InvalidDataException"/> with Redis's reason.</summary>
    public static AofManifest Parse(string text)
    {
        var manifest = new AofManifest();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = SplitArgs(line);
            if (parts.Count % 2 != 0)
            {
                throw new InvalidDataException("Invalid AOF manifest file format");
            }

            string? name = null;
            long seq = 0;
            char type = '\0';
            for (int i = 0; i < parts.Count; i += 2)
            {
                switch (parts[i])
                {
                    case "file":
                        name = parts[i + 1];
                        break;
                    case "seq":
                        seq = long.Parse(parts[i + 1], CultureInfo.InvariantCulture);
                        break;
                    case "type":
                        type = parts[i + 1].Length == 1 ? parts[i + 1][0] : '\0';
                        break;
                }
            }

            if (name is null || seq == 0 || type == '\0')
            {
                throw new InvalidDataException("Invalid AOF manifest file format");
            }

            switch (type)
            {
                case 'b':
                    if (manifest.Base is not null)
                    {
                        throw new InvalidDataException("Found duplicate base file information");
                    }

                    manifest.Base = new AofFileInfo(name, seq, AofFileType.Base);
                    manifest.CurrentBaseSeq = seq;
                    break;
                case 'i':
                    if (seq <= manifest.CurrentIncrSeq)
                    {
                        throw new InvalidDataException("Found a non-monotonic sequence number");
                    }

                    manifest.Incrs.Add(new AofFileInfo(name, seq, AofFileType.Incr));
                    manifest.CurrentIncrSeq = seq;
                    break;
                case 'h':
                    manifest.History.Add(new AofFileInfo(name, seq, AofFileType.History));
                    break;
                default:
                    throw new InvalidDataException("Unknown AOF file type");
            }
        }

        return manifest;
    }

    // sdssplitargs: words separated by spaces, "double quoted" with backslash escapes.
    private static List<string> SplitArgs(string line)
    {
        var parts = new List<string>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i >= line.Length)
            {
                break;
            }

            var word = new StringBuilder();
            if (line[i] == '"')
            {
                i++;
                while (i < line.Length && line[i] != '"')
                {
                    if (line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                    }

                    word.Append(line[i++]);
                }

                i++;
            }
            else
            {
                while (i < line.Length && line[i] != ' ')
                {
                    word.Append(line[i++]);
                }
            }

            parts.Add(word.ToString());
        }

        return parts;
    }
}
