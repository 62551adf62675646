using Microsoft.AspNetCore.Http;

namespace Kv.AspNetCore.Session;

/// <summary>
/// The session cookie's defaults (as ASP.NET Core's own session cookie, but Secure on HTTPS requests).
/// An expiration is refused: the session's lifetime is <see cref="KvSessionOptions.IdleTimeout"/>.
/// </summary>
internal sealed class KvSessionCookieBuilder : CookieBuilder
{
    public const string DefaultName = ".Kv.Session";

    public KvSessionCookieBuilder()
    {
        Name = DefaultName;
        Path = "/";
        HttpOnly = true;
        SameSite = SameSiteMode.Lax;
        SecurePolicy = CookieSecurePolicy.SameAsRequest;
        IsEssential = false;
    }

    public override TimeSpan? Expiration
    {
        get => null;
        set => throw new InvalidOperationException("Kv:Session:Cookie:Expiration cannot be set: a session ends after Kv:Session:IdleTimeout without use (set Cookie.MaxAge to keep the cookie across browser restarts).");
    }
}
