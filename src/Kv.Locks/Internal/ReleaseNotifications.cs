using System.Collections.Concurrent;
using Kv.Client;

namespace Kv.Locks.Internal;

/// <summary>
/// The provider's subscriptions to release channels: one per lock name while someone here waits for
/// it, shared by all its waiters. A release names the waiter it wakes (the head of the queue), so
/// only that waiter asks the server again: no herd of retries on each release.
/// </summary>
internal sealed class ReleaseNotifications(KvClient client) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Channel> _channels = [];
    private readonly ConcurrentDictionary<string, Waiter> _waiters = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Registers <paramref name="waiter"/> and completes once its channel's subscription is confirmed, so no later release is missed.</summary>
    /// <exception cref="KvConnectionException">The subscription was not confirmed.</exception>
    public async Task JoinAsync(Waiter waiter, CancellationToken cancellationToken)
    {
        Task<IAsyncDisposable> subscription;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_channels.TryGetValue(waiter.Channel, out var channel))
            {
                channel = new Channel();
                _channels.Add(waiter.Channel, channel);
            }

            channel.Waiters++;
            if (channel.Subscription is null || channel.Subscription.IsFaulted || channel.Subscription.IsCanceled)
            {
                // Not tied to this waiter's token: other waiters share the subscription.
                channel.Subscription = client.SubscribeAsync(waiter.Channel, OnMessage, CancellationToken.None);
            }

            subscription = channel.Subscription;
            _waiters[waiter.Id] = waiter;
        }

        await subscription.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unregisters a waiter that joined (whether or not the join completed); the last one out unsubscribes.</summary>
    public void Leave(Waiter waiter)
    {
        Task<IAsyncDisposable>? unsubscribe = null;
        lock (_lock)
        {
            _waiters.TryRemove(waiter.Id, out _);
            if (_channels.TryGetValue(waiter.Channel, out var channel) && --channel.Waiters == 0)
            {
                _channels.Remove(waiter.Channel);
                unsubscribe = channel.Subscription;
            }
        }

        if (unsubscribe is not null)
        {
            _ = UnsubscribeAsync(unsubscribe);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Task<IAsyncDisposable>> subscriptions = [];
        lock (_lock)
        {
            _disposed = true;
            foreach (var channel in _channels.Values)
            {
                if (channel.Subscription is not null)
                {
                    subscriptions.Add(channel.Subscription);
                }
            }

            _channels.Clear();
        }

        foreach (var subscription in subscriptions)
        {
            await UnsubscribeAsync(subscription).ConfigureAwait(false);
        }
    }

    // Runs on the subscriber connection's reader: a lookup and a signal, nothing that waits.
    private void OnMessage(KvMessage message)
    {
        if (message.Message.ToString() is { } id && _waiters.TryGetValue(id, out var waiter))
        {
            waiter.Signal();
        }
    }

    private static async Task UnsubscribeAsync(Task<IAsyncDisposable> subscription)
    {
        IAsyncDisposable confirmed;
        try
        {
            confirmed = await subscription.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Never confirmed, so there is nothing to undo (the client drops a subscription it could not
            // make); the waiters that joined through it were given this failure.
            return;
        }

        try
        {
            await confirmed.DisposeAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed first: its subscriptions are gone with it.
        }
    }

    private sealed class Channel
    {
        public int Waiters;
        public Task<IAsyncDisposable>? Subscription;
    }
}

/// <summary>One waiting acquisition: signalled when a release names it.</summary>
internal sealed class Waiter(string id, string channel)
{
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id => id;

    public string Channel => channel;

    /// <summary>Completes when the waiter was signalled since the last <see cref="Rearm"/>.</summary>
    public Task Signalled => Volatile.Read(ref _signal).Task;

    public void Signal() => Volatile.Read(ref _signal).TrySetResult();

    /// <summary>Called before each attempt: a signal that arrives during the attempt is kept for the wait after it.</summary>
    public void Rearm()
    {
        if (Volatile.Read(ref _signal).Task.IsCompleted)
        {
            Volatile.Write(ref _signal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }
    }
}
