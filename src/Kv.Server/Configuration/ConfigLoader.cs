using System.Text;
using Kv.Protocol;

namespace Kv.Server.Configuration;

/// <summary>Thrown when a config file or command-line option is unknown or malformed; the server does not start.</summary>
public sealed class KvConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KvConfigException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Reads <c>kv-server [config-file] [--name value …]</c> as redis-server does: the file's lines
/// first, then each <c>--name v1 v2</c> as one more line.
/// </summary>
internal static class ConfigLoader
{
    public static void Apply(ServerConfig config, IReadOnlyList<string> args)
    {
        int i = 0;
        if (args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            string path = args[0];
            if (!File.Exists(path))
            {
                throw new KvConfigException($"Fatal error, can't open config file '{Path.GetFullPath(path)}': No such file or directory");
            }

            config.ConfigFile = Path.GetFullPath(path);
            ApplyText(config, File.ReadAllText(path), path);
            i = 1;
        }

        while (i < args.Count)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new KvConfigException($"Invalid argument '{arg}': options are given as --name value (for example --port 6380).");
            }

            var words = new List<string> { arg[2..] };
            i++;
            while (i < args.Count && !args[i].StartsWith("--", StringComparison.Ordinal))
            {
                words.Add(args[i]);
                i++;
            }

            ApplyDirective(config, words, $"command line option --{words[0]}");
        }
    }

    public static void ApplyText(ServerConfig config, string text, string source)
    {
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var ranges = new ArgRangeList();
            var scratch = new ScratchBuffer();
            if (!InlineSplitter.TrySplit(Encoding.UTF8.GetBytes(line), ranges, scratch))
            {
                throw new KvConfigException($"Error in {source} at line {n + 1}: >>> '{line}': Unbalanced quotes in configuration line");
            }

            var words = new List<string>();
            for (int w = 0; w < ranges.Count; w++)
            {
                words.Add(Encoding.UTF8.GetString(scratch.Array, ranges[w].Offset, ranges[w].Length));
            }

            ApplyDirective(config, words, $"{source} at line {n + 1}: >>> '{line}'");
        }
    }

    private static void ApplyDirective(ServerConfig config, List<string> words, string where)
    {
        string name = words[0].ToLowerInvariant();
        var parameter = config.Find(name);
        if (parameter is null)
        {
            throw new KvConfigException($"Bad directive or wrong number of arguments in {where}: unknown option '{name}'.");
        }

        string value = string.Join(' ', words.Skip(1));
        string? error = parameter.Set(value);
        if (error is not null)
        {
            throw new KvConfigException($"Invalid value for '{name}' in {where}: {error}");
        }
    }
}
