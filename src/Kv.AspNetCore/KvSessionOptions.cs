using Kv.AspNetCore.Session;
using Microsoft.AspNetCore.Http;

namespace Kv.AspNetCore;

/// <summary>
/// Session state registered by <c>AddKvSession</c> and served by <c>UseKvSession</c>; bound from the
/// configuration section <c>Kv:Session</c> (<c>Kv:Session:IdleTimeout</c>, <c>Kv:Session:Cookie:Name</c>…)
/// and validated when the host starts.
/// </summary>
/// <remarks>
/// Each session is one hash at <see cref="KeyPrefix"/> followed by the session's id, with one field per
/// session key holding the value's bytes as they were set. A request writes only the keys it changed,
/// so two requests of one session that change different keys both keep their change.
/// </remarks>
public sealed class KvSessionOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Kv:Session";

    /// <summary>
    /// How long a session lives after its last use: every request that loads the session and every
    /// write pushes its expiry out by this much (in the same round trip). Default: 20 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// The session cookie. Defaults: name <c>.Kv.Session</c>, path <c>/</c>, HttpOnly, SameSite Lax,
    /// Secure when the request is (<see cref="CookieSecurePolicy.SameAsRequest"/>), not essential (set
    /// <see cref="CookieBuilder.IsEssential"/> when the session must work before the user consents to
    /// tracking cookies). The cookie carries the session id protected with ASP.NET Core Data Protection,
    /// so apps behind a load balancer must share their Data Protection key ring.
    /// <see cref="CookieBuilder.Expiration"/> cannot be set: a session ends after <see cref="IdleTimeout"/>.
    /// </summary>
    public CookieBuilder Cookie { get; set; } = new KvSessionCookieBuilder();

    /// <summary>
    /// Prepended to the session id to make the hash's key (<c>session:</c> gives <c>session:3q2-…</c>).
    /// Default: <c>session:</c>.
    /// </summary>
    public string KeyPrefix { get; set; } = "session:";

    /// <summary>
    /// What a request does when the server cannot be reached. <see cref="KvFailureMode.Throw"/> (default):
    /// a failed load fails the request before the endpoint runs, and a failed save fails it too (with
    /// a 500 when the response has not started). <see cref="KvFailureMode.Ignore"/>: a warning is logged
    /// and the request goes on with an empty session whose changes are not saved.
    /// </summary>
    public KvFailureMode OnServerUnavailable { get; set; } = KvFailureMode.Throw;
}
