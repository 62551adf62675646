namespace Kv.Locks;

/// <summary>
/// The lock (or every slot of the semaphore) was still held by someone else when the caller's timeout
/// passed. It never means the server was unreachable: that is <see cref="Kv.Client.KvConnectionException"/>.
/// </summary>
public sealed class KvLockTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public KvLockTimeoutException(string message)
        : base(message)
    {
    }
}
