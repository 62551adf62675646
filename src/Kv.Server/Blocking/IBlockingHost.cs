using Kv.Server.Commands;

namespace Kv.Server.Blocking;

/// <summary>A connection that can hold a blocked client: it makes the waiter (with its own serving context and reply buffer) and awaits it.</summary>
internal interface IBlockingHost
{
    Waiter CreateWaiter(CommandDefinition command, int db, Type valueType);
}
