using System.Buffers;
using Kv.Protocol;
using Kv.Server.Commands;
using Kv.Server.Network;

namespace Kv.Server.Blocking;

/// <summary>How a wait ended.</summary>
internal enum WaitOutcome
{
    Waiting,

    /// <summary>The command ran again and replied (an element, or an error such as WRONGTYPE for BLMOVE's destination).</summary>
    Served,

    /// <summary>The timeout passed, or CLIENT UNBLOCK … TIMEOUT: the reply is the null array.</summary>
    TimedOut,

    /// <summary>CLIENT UNBLOCK … ERROR.</summary>
    Unblocked,

    /// <summary>The client went away; nothing is replied.</summary>
    Abandoned,
}

/// <summary>
/// One client blocked on keys (Redis's bpop state): the command it ran, kept so it can run again
/// when a key is ready, the keys it waits on and the buffer its eventual reply is written into.
/// </summary>
/// <remarks>
/// Serving runs the command's handler again (as Redis 7.2 re-executes a blocked command) in
/// <see cref="Context"/>, whose reply writer fills <see cref="Output"/>. A type plugs in by making
/// its blocking handler call <see cref="BlockingKeys.Block"/> when it cannot serve at once; nothing else.
/// </remarks>
internal sealed class Waiter
{
    private readonly TaskCompletionSource<WaitOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Waiter(ClientSession client, CommandContext context, ArrayBufferWriter<byte> output, CommandDefinition command, int db, Type valueType)
    {
        Client = client;
        Context = context;
        Output = output;
        Command = command;
        Db = db;
        ValueType = valueType;
    }

    public ClientSession Client { get; }

    /// <summary>The blocked connection's serving context: its reply goes to <see cref="Output"/>.</summary>
    public CommandContext Context { get; }

    public ArrayBufferWriter<byte> Output { get; }

    public CommandDefinition Command { get; }

    public int Db { get; }

    /// <summary>A ready key serves this waiter only when it holds this type (Redis serves a list waiter from a list).</summary>
    public Type ValueType { get; }

    /// <summary>The command's arguments, copied out of the receive buffer.</summary>
    public byte[] Arguments { get; set; } = [];

    public ArgRangeList Ranges { get; } = new(8);

    /// <summary>One queue node per distinct key waited on.</summary>
    public List<LinkedListNode<Waiter>> Nodes { get; } = new(2);

    public ITimer? Timer { get; set; }

    /// <summary>Run the command again even when its key is gone or changed type (XREADGROUP answers -UNBLOCKED then, as Redis 7.0).</summary>
    public bool WakeWhenGone { get; set; }

    /// <summary>
    /// When serving appended effects to the append-only file, the offset they end at (else 0): under
    /// appendfsync always the reply waits until that is durable, as the writer's own replies do.
    /// </summary>
    public long DurableOffset { get; set; }

    /// <summary>Set once the wait ended (under the keyspace lock).</summary>
    public WaitOutcome Outcome { get; private set; }

    public Task<WaitOutcome> Completion => _completion.Task;

    public void Complete(WaitOutcome outcome)
    {
        Outcome = outcome;
        Timer?.Dispose();
        Timer = null;
        _completion.TrySetResult(outcome);
    }
}
