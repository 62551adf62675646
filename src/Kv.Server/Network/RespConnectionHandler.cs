using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Kv.Server.Network;

/// <summary>Kestrel's entry point for each accepted connection: registers the client and runs its loop.</summary>
internal sealed class RespConnectionHandler : ConnectionHandler
{
    private readonly ServerState _server;

    public RespConnectionHandler(ServerState server) => _server = server;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var server = _server;
        Interlocked.Increment(ref server.Stats.TotalConnectionsReceived);
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        ApplyKeepAlive(socket, server.Config.TcpKeepAlive);
        var session = new ClientSession(
            server.Clients.NextId(),
            Format(connection.RemoteEndPoint),
            Format(connection.LocalEndPoint),
            server.Keyspace.NowMilliseconds)
        {
            Authenticated = !server.RequiresPassword,
            Abort = connection.Abort,
            Fd = socket?.Handle.ToInt64() ?? -1,
        };

        if (server.Clients.Count >= server.Config.MaxClients)
        {
            Interlocked.Increment(ref server.Stats.RejectedConnections);
            await connection.Transport.Output.WriteAsync("-ERR max number of clients reached\r\n"u8.ToArray()).ConfigureAwait(false);
            return;
        }

        server.Clients.Add(session);
        try
        {
            await new ClientConnection(server, connection, session).RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ConnectionResetException or ConnectionAbortedException or OperationCanceledException or IOException or InvalidOperationException)
        {
            server.Logger.LogDebug("Client id={Id} addr={Address} closed: {Reason}", session.Id, session.Address, ex.Message);
        }
        catch (Exception ex)
        {
            // A bug in the connection loop closes this client only; the server keeps serving the others.
            server.Logger.LogError(ex, "Client id={Id} addr={Address} closed after an unexpected error.", session.Id, session.Address);
        }
        finally
        {
            if (session.Transaction is not null || session.Tracking is { Enabled: true } || (session.Subscriber is { } subscriber && (session.IsPubSub || subscriber.HasPending)))
            {
                server.UnderKeyspaceLock(() => Release(server, session));
            }

            // Last, as Redis's freeClient unlinks the client after leaving its channels: a client
            // missing from CLIENT LIST no longer counts as a PUBLISH receiver.
            server.Clients.Remove(session);
        }
    }

    // Redis's freeClient: what a client that goes away leaves behind in shared state.
    private static void Release(ServerState server, ClientSession session)
    {
        // Its watched keys' watcher lists must not keep a gone client.
        session.Transaction?.Discard();

        if (session.Tracking is { Enabled: true })
        {
            // disableTracking: it leaves its BCAST prefixes; remembered keys go lazily.
            server.Tracking.Disable(session);
        }

        if (session.Subscriber is { } subscriber && (session.IsPubSub || subscriber.HasPending))
        {
            // It leaves its channels.
            server.PubSub.RemoveAll(subscriber);
        }
    }

    // Redis's anetKeepAlive: SO_KEEPALIVE, first probe after tcp-keepalive seconds, then every
    // third of that, dropping the peer after 3 unanswered probes.
    private static void ApplyKeepAlive(Socket? socket, int seconds)
    {
        if (socket is null || seconds <= 0 || socket.AddressFamily == AddressFamily.Unix)
        {
            return;
        }

        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, seconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, Math.Max(1, seconds / 3));
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
    }

    private static string Format(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip when ip.AddressFamily == AddressFamily.InterNetworkV6 && !ip.Address.IsIPv4MappedToIPv6 => $"{ip.Address}:{ip.Port}",
        IPEndPoint ip => $"{(ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address)}:{ip.Port}",
        UnixDomainSocketEndPoint unix => unix.ToString() + ":0",
        null => "?:0",
        _ => endPoint.ToString() ?? "?:0",
    };
}
