namespace Kv.Client;

/// <summary>
/// The server refused a command and said why (<c>WRONGTYPE</c>, <c>NOAUTH</c>, <c>ERR …</c>).
/// The connection is fine; retrying the same command gets the same answer.
/// </summary>
public sealed class KvServerException : Exception
{
    /// <summary>Creates the exception for the server's error text, as the server sent it.</summary>
    public KvServerException(string serverMessage, string? command = null)
        : base(command is null ? serverMessage : $"{serverMessage} (command {command})")
    {
        ServerMessage = serverMessage;
        Prefix = PrefixOf(serverMessage);
        Command = command;
    }

    /// <summary>The error's first word, which says its kind: <c>ERR</c>, <c>WRONGTYPE</c>, <c>NOSCRIPT</c>, <c>NOAUTH</c>, <c>WRONGPASS</c>…</summary>
    public string Prefix { get; }

    /// <summary>The error text exactly as the server sent it.</summary>
    public string ServerMessage { get; }

    /// <summary>The command the server refused, when known.</summary>
    public string? Command { get; }

    internal static string PrefixOf(string message)
    {
        int space = message.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? message : message[..space];
    }
}
