using System.Buffers;
using System.Text;

namespace Kv.Client;

/// <summary>
/// A value read into a buffer rented from <see cref="ArrayPool{T}.Shared"/>: the reply's bytes are
/// copied once, from the socket buffer into the rented array, with no intermediate <c>byte[]</c>.
/// Meant for large values read often (<see cref="KvClient.GetLeaseAsync"/>), where a fresh array per
/// read would land on the large object heap. Dispose it when done: the buffer goes back to the pool.
/// </summary>
/// <remarks>
/// <see cref="Memory"/> and <see cref="Span"/> point into the pooled buffer, so they must not be used
/// after <see cref="Dispose"/> (the buffer may already hold another reply); copy the bytes out first
/// if they must outlive the lease. Disposing twice is harmless. A lease that is never disposed is
/// collected as usual; only the pooling is lost.
/// </remarks>
public sealed class KvLease : IDisposable
{
    private byte[]? _buffer;

    internal KvLease(byte[] rented, int length)
    {
        _buffer = rented;
        Length = length;
    }

    /// <summary>The value's length in bytes.</summary>
    public int Length { get; }

    /// <summary>True once <see cref="Dispose"/> has returned the buffer to the pool.</summary>
    public bool IsDisposed => Volatile.Read(ref _buffer) is null;

    /// <summary>The value's bytes, valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public ReadOnlyMemory<byte> Memory => new(Buffer, 0, Length);

    /// <summary>The value's bytes, valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public ReadOnlySpan<byte> Span => new(Buffer, 0, Length);

    private byte[] Buffer => Volatile.Read(ref _buffer)
        ?? throw new ObjectDisposedException(nameof(KvLease), "The KvLease was disposed and its buffer returned to the pool; copy the bytes out (Span.ToArray()) before disposing if they are needed later.");

    /// <summary>The value decoded as UTF-8 text.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public override string ToString() => Encoding.UTF8.GetString(Span);

    /// <summary>Returns the buffer to the pool. Safe to call more than once.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Copies <paramref name="value"/> into a rented buffer (replies that did not arrive as a bulk string).</summary>
    internal static KvLease CopyOf(ReadOnlySpan<byte> value)
    {
        var rented = ArrayPool<byte>.Shared.Rent(value.Length);
        value.CopyTo(rented);
        return new KvLease(rented, value.Length);
    }
}
