using System.Text;

namespace Kv.Server.Tests.Persistence;

/// <summary>Reads the commands of an appendonlydir's files, for assertions on what was written.</summary>
internal static class AofFiles
{
    public static string Folder(string dir) => Path.Combine(dir, "appendonlydir");

    /// <summary>The manifest's lines.</summary>
    public static string[] Manifest(string dir) =>
        File.ReadAllLines(Path.Combine(Folder(dir), "appendonly.aof.manifest"));

    /// <summary>The path of the base file the manifest names.</summary>
    public static string Base(string dir)
    {
        foreach (var line in Manifest(dir))
        {
            var parts = line.Split(' ');
            if (parts[^1] == "b")
            {
                return Path.Combine(Folder(dir), parts[1]);
            }
        }

        throw new InvalidOperationException("No base file in the manifest.");
    }

    /// <summary>The path of the last incr file the manifest names.</summary>
    public static string LastIncr(string dir)
    {
        string? name = null;
        foreach (var line in Manifest(dir))
        {
            var parts = line.Split(' ');
            if (parts[^1] == "i")
            {
                name = parts[1];
            }
        }

        return Path.Combine(Folder(dir), name ?? throw new InvalidOperationException("No incr file in the manifest."));
    }

    /// <summary>Each command as its arguments joined by spaces (binary-safe enough for test data).</summary>
    public static List<string> Commands(string path)
    {
        var data = File.ReadAllBytes(path);
        var commands = new List<string>();
        int at = 0;
        while (at < data.Length)
        {
            Assert.Equal((byte)'*', data[at]);
            int argc = ReadNumber(data, ref at);
            var args = new string[argc];
            for (int i = 0; i < argc; i++)
            {
                Assert.Equal((byte)'$', data[at]);
                int length = ReadNumber(data, ref at);
                args[i] = Encoding.UTF8.GetString(data, at, length);
                at += length + 2;
            }

            commands.Add(string.Join(' ', args));
        }

        return commands;
    }

    private static int ReadNumber(byte[] data, ref int at)
    {
        int end = Array.IndexOf(data, (byte)'\r', at);
        int value = int.Parse(Encoding.ASCII.GetString(data, at + 1, end - at - 1), System.Globalization.CultureInfo.InvariantCulture);
        at = end + 2;
        return value;
    }
}
