namespace Kv.Client;

/// <summary>Describes a lost or restored connection.</summary>
public sealed class KvConnectionEventArgs : EventArgs
{
    internal KvConnectionEventArgs(string endPoint, Exception? exception)
    {
        EndPoint = endPoint;
        Exception = exception;
    }

    /// <summary>The server's <c>host:port</c>.</summary>
    public string EndPoint { get; }

    /// <summary>Why the connection was lost; null when it was restored.</summary>
    public Exception? Exception { get; }
}
