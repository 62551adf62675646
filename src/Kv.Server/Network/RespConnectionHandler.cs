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

        if (server.Config.ProtectedMode && !server.RequiresPassword && !IsLocal(connection.RemoteEndPoint))
        {
            // Redis's clientAcceptHandler: with protected mode on and no password, only 127.0.0.1, ::1 and
            // Unix sockets are served (whatever the bind address); others get the explanation and are closed.
            Interlocked.Increment(ref server.Stats.RejectedConnections);
            server.Logger.LogDebug("Denied client addr={Address}: protected mode is on and no password is set.", session.Address);
            await connection.Transport.Output.WriteAsync(ProtectedModeDenied).ConfigureAwait(false);
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

    private static readonly byte[] ProtectedModeDenied = System.Text.Encoding.ASCII.GetBytes(
        "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
        "In this mode connections are only accepted from the loopback interface. " +
        "If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
        "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, " +
        "however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
        "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
        "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
        "4) Setup a an authentication password for the default user. " +
        "NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n");

    // Redis's islocalClient: exactly 127.0.0.1 or ::1 (not the rest of 127/8), or a Unix socket.
    private static bool IsLocal(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip => (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address) is var address
            && (address.Equals(IPAddress.Loopback) || address.Equals(IPAddress.IPv6Loopback)),
        UnixDomainSocketEndPoint => true,
        null => true,
        _ => false,
    };

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
