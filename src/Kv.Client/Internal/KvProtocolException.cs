namespace Kv.Client.Internal;

/// <summary>The server sent bytes that are not RESP: the connection is closed and the reason reported through <see cref="KvConnectionException"/>.</summary>
internal sealed class KvProtocolException(string message) : Exception(message);
