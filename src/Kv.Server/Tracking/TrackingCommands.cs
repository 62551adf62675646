using Kv.Protocol;
using Kv.Server.Commands;

namespace Kv.Server.Tracking;

/// <summary>CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO (rows in <see cref="ClientCommands"/>).</summary>
internal static class TrackingCommands
{
    // CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]: Redis 7.0's
    // clientCommand parses every option first, then checks them against each other and the client's state.
    public static void Tracking(CommandContext c)
    {
        long redirect = 0;
        bool broadcast = false, optIn = false, optOut = false, noLoop = false;
        var prefixes = new List<byte[]>();
        for (int i = 3; i < c.ArgCount; i++)
        {
            bool more = i + 1 < c.ArgCount;
            if (c.ArgIs(i, "redirect"u8) && more)
            {
                i++;
                if (redirect != 0)
                {
                    c.Reply.Error("ERR A client can only redirect to a single other client"u8);
                    return;
                }

                if (!c.TryArgLong(i, out redirect))
                {
                    return;
                }

                // The target must exist now, though it may go away later (then the redirect is broken).
                if (!c.Server.Clients.TryGet(redirect, out _))
                {
                    c.Reply.Error("ERR The client ID you want redirect to does not exist"u8);
                    return;
                }
            }
            else if (c.ArgIs(i, "bcast"u8))
            {
                broadcast = true;
            }
            else if (c.ArgIs(i, "optin"u8))
            {
                optIn = true;
            }
            else if (c.ArgIs(i, "optout"u8))
            {
                optOut = true;
            }
            else if (c.ArgIs(i, "noloop"u8))
            {
                noLoop = true;
            }
            else if (c.ArgIs(i, "prefix"u8) && more)
            {
                i++;
                prefixes.Add(c.ArgBytes(i));
            }
            else
            {
                c.Reply.Error(Errors.Syntax);
                return;
            }
        }

        var table = c.Server.Tracking;
        if (c.ArgIs(2, "off"u8))
        {
            table.Disable(c.Client);
            c.Reply.Ok();
            return;
        }

        if (!c.ArgIs(2, "on"u8))
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        var state = c.Client.Tracking;
        if (!broadcast && prefixes.Count > 0)
        {
            c.Reply.Error("ERR PREFIX option requires BCAST mode to be enabled"u8);
            return;
        }

        if (state is { Enabled: true } && state.Broadcast != broadcast)
        {
            c.Reply.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."u8);
            return;
        }

        if (broadcast && (optIn || optOut))
        {
            c.Reply.Error("ERR OPTIN and OPTOUT are not compatible with BCAST"u8);
            return;
        }

        if (optIn && optOut)
        {
            c.Reply.Error("ERR You can't specify both OPTIN mode and OPTOUT mode"u8);
            return;
        }

        // Redis compares with the client's flags, which a disabled client no longer has.
        if (state is { Enabled: true } && ((optIn && state.OptOut) || (optOut && state.OptIn)))
        {
            c.Reply.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."u8);
            return;
        }

        if (broadcast && TrackingTable.PrefixCollision(c.Client, prefixes) is { } collision)
        {
            c.Reply.Error(collision);
            return;
        }

        table.Enable(c.Client, redirect, broadcast, optIn, optOut, noLoop, prefixes);
        c.Reply.Ok();
    }

    // CLIENT CACHING YES|NO: the next command (or transaction) is cached (OPTIN) or not (OPTOUT).
    public static void Caching(CommandContext c)
    {
        var state = c.Client.Tracking;
        if (state is not { Enabled: true })
        {
            c.Reply.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"u8);
            return;
        }

        if (c.ArgIs(2, "yes"u8))
        {
            if (!state.OptIn)
            {
                c.Reply.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."u8);
                return;
            }
        }
        else if (c.ArgIs(2, "no"u8))
        {
            if (!state.OptOut)
            {
                c.Reply.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."u8);
                return;
            }
        }
        else
        {
            c.Reply.Error(Errors.Syntax);
            return;
        }

        state.Caching = true;
        c.Reply.Ok();
    }

    // CLIENT GETREDIR: the redirect id (0 for none) while tracking, -1 otherwise.
    public static void GetRedir(CommandContext c)
        => c.Reply.Integer(c.Client.Tracking is { Enabled: true } state ? state.Redirect : -1);

    // CLIENT TRACKINGINFO: a map of flags (a set), redirect and prefixes, as Redis 7.0 writes it.
    public static void TrackingInfo(CommandContext c)
    {
        var reply = c.Reply;
        var state = c.Client.Tracking;
        bool on = state is { Enabled: true };
        reply.MapHeader(3);

        reply.Bulk("flags"u8);
        int flags = 1;
        if (on)
        {
            flags += (state!.Broadcast ? 1 : 0) + (state.OptIn ? 1 : 0) + (state.OptOut ? 1 : 0)
                + ((state.OptIn || state.OptOut) && state.Caching ? 1 : 0) + (state.NoLoop ? 1 : 0) + (state.BrokenRedirect ? 1 : 0);
        }

        reply.SetHeader(flags);
        reply.Bulk(on ? "on"u8 : "off"u8);
        if (on)
        {
            WriteFlags(reply, state!);
        }

        reply.Bulk("redirect"u8);
        reply.Integer(on ? state!.Redirect : -1);

        reply.Bulk("prefixes"u8);
        var prefixes = state?.Prefixes;
        reply.ArrayHeader(prefixes?.Count ?? 0);
        if (prefixes is not null)
        {
            foreach (var prefix in prefixes)
            {
                reply.Bulk(prefix);
            }
        }
    }

    private static void WriteFlags(RespWriter reply, ClientTracking state)
    {
        if (state.Broadcast)
        {
            reply.Bulk("bcast"u8);
        }

        if (state.OptIn)
        {
            reply.Bulk("optin"u8);
            if (state.Caching)
            {
                reply.Bulk("caching-yes"u8);
            }
        }

        if (state.OptOut)
        {
            reply.Bulk("optout"u8);
            if (state.Caching)
            {
                reply.Bulk("caching-no"u8);
            }
        }

        if (state.NoLoop)
        {
            reply.Bulk("noloop"u8);
        }

        if (state.BrokenRedirect)
        {
            reply.Bulk("broken_redirect"u8);
        }
    }
}
