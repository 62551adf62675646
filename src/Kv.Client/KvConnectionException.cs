namespace Kv.Client;

/// <summary>
/// The client could not reach the server, lost it while a command waited for its reply, or read
/// bytes that are not RESP. A command that failed with this may or may not have run on the server.
/// </summary>
public sealed class KvConnectionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KvConnectionException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
