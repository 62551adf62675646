namespace Kv.Server.Commands;

/// <summary>CLIENT and its subcommands.</summary>
internal static class ClientCommands
{
    public static void Register(CommandTable table)
    {
        var client = table.Add("client", -2, "", 0, 0, 0, "", null, "connection", "A container for client connection commands.", "2.4.0", "Depends on subcommand.");
        client.AddSubcommand(CommandTable.Create("id", 2, "noscript loading stale", 0, 0, 0, "@connection", Id, "connection", "Returns the unique client ID of the connection.", "5.0.0"));
        client.AddSubcommand(CommandTable.Create("setname", 3, "noscript loading stale", 0, 0, 0, "@connection", SetName, "connection", "Sets the connection name.", "2.6.9"));
        client.AddSubcommand(CommandTable.Create("getname", 2, "noscript loading stale", 0, 0, 0, "@connection", GetName, "connection", "Returns the name of the connection.", "2.6.9"));
    }

    /// <summary>Redis refuses names with spaces, newlines or characters outside '!'..'~'.</summary>
    public static bool IsValidName(string name)
    {
        foreach (char ch in name)
        {
            if (ch < '!' || ch > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static void Id(CommandContext c) => c.Reply.Integer(c.Client.Id);

    private static void SetName(CommandContext c)
    {
        string name = c.ArgString(2);
        if (!IsValidName(name))
        {
            c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }

        c.Client.Name = name.Length == 0 ? null : name;
        c.Reply.Ok();
    }

    private static void GetName(CommandContext c)
    {
        if (c.Client.Name is null)
        {
            c.Reply.NullBulk();
        }
        else
        {
            c.Reply.Bulk(c.Client.Name);
        }
    }
}
