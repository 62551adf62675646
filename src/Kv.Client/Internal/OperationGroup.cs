namespace Kv.Client.Internal;

/// <summary>
/// Commands that go out whole or not at all (a batch, MULTI … EXEC): one item in the command queue,
/// so a member cancelled or timed out while queued cannot cut the group in half (a MULTI without its
/// EXEC would leave a shared connection inside a transaction). Once the writer starts the group every
/// member is sent; cancelling a member after that only stops its caller waiting.
/// </summary>
internal sealed class OperationGroup : Operation
{
    private readonly Operation[] _members;

    public OperationGroup(List<Operation> members)
    {
        _members = [.. members];
        Initialize(members[0].Command);
        ExpectsReply = false;
    }

    public ReadOnlySpan<Operation> Members => _members;

    /// <summary>
    /// Claims the group for sending: false, with every member failed, when one was already cancelled
    /// or timed out in the queue (nothing of the group is sent then).
    /// </summary>
    public bool TryStart()
    {
        foreach (var member in _members)
        {
            if (member.IsCompleted)
            {
                TryFail(new OperationCanceledException($"{member.CommandName} was cancelled or timed out before it was sent, so none of the {_members.Length} commands sent with it was sent."));
                return false;
            }
        }

        // Completed as a queue item: the deadline check no longer fails it.
        return TryComplete(default);
    }

    protected override void OnReply(in KvResult reply)
    {
    }

    protected override void OnFailed(Exception exception)
    {
        foreach (var member in _members)
        {
            member.TryFail(exception);
        }
    }
}
