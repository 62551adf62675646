using Kv.Client;

namespace Kv.AspNetCore;

/// <summary>
/// The one rule for which failures mean "the server could not be reached" (and so fall to a block's
/// <c>OnServerUnavailable</c> choice): a lost or refused connection, or no answer in time. A server's
/// error reply is not one of them.
/// </summary>
internal static class ServerUnavailable
{
    public static bool Is(Exception ex) => ex is KvConnectionException or TimeoutException;
}
