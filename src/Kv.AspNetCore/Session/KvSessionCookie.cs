using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Session;

/// <summary>
/// The session cookie: a random id of <see cref="IdBytes"/> bytes, carried protected by Data Protection
/// (as ASP.NET Core's session protects its key), so a client can neither read another id from its own
/// cookie nor forge one.
/// </summary>
internal sealed partial class KvSessionCookie
{
    /// <summary>256 random bits: an id nobody guesses.</summary>
    public const int IdBytes = 32;

    // Versioned so a future change of the cookie's contents cannot be confused with this one.
    private const string Purpose = "Kv.AspNetCore.Session.v1";

    private readonly IDataProtector _protector;
    private readonly KvSessionOptions _options;
    private readonly ILogger _logger;

    public KvSessionCookie(IDataProtectionProvider dataProtection, KvSessionOptions options, ILogger logger)
    {
        _protector = dataProtection.CreateProtector(Purpose);
        _options = options;
        _logger = logger;
    }

    /// <summary>A new session id: <see cref="IdBytes"/> random bytes in base64url (43 characters).</summary>
    public static string NewId() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(IdBytes));

    /// <summary>The id in the request's session cookie; false when there is none or it does not unprotect (logged).</summary>
    public bool TryRead(HttpContext context, out string id)
    {
        id = "";
        string? value = context.Request.Cookies[_options.Cookie.Name!];
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        try
        {
            string unprotected = Encoding.UTF8.GetString(_protector.Unprotect(Base64Url.DecodeFromChars(value)));
            if (unprotected.Length == 0)
            {
                return false;
            }

            id = unprotected;
            return true;
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            // A cookie from another key ring (keys not shared between instances, or lost) or a tampered one.
            LogInvalidCookie(_logger, _options.Cookie.Name!, ex);
            return false;
        }
    }

    /// <summary>The protected cookie value for <paramref name="id"/>.</summary>
    public string Protect(string id) => Base64Url.EncodeToString(_protector.Protect(Encoding.UTF8.GetBytes(id)));

    /// <summary>Sends the cookie that establishes a new session; headers must still be writable (OnStarting).</summary>
    public void Append(HttpContext context, string id)
    {
        var response = context.Response;
        response.Cookies.Append(_options.Cookie.Name!, Protect(id), _options.Cookie.Build(context));

        // As ASP.NET Core's session does: a response that hands out a session must not be cached and replayed to others.
        var headers = response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
        headers.Expires = "-1";
    }

    /// <summary>
    /// Whether a new session may be started: not when a cookie policy is waiting for the user's consent
    /// and the cookie is not essential (its cookie would be dropped, leaving the data behind unreachable).
    /// </summary>
    public bool CanEstablish(HttpContext context)
        => _options.Cookie.IsEssential || context.Features.Get<ITrackingConsentFeature>() is not { CanTrack: false };

    [LoggerMessage(Level = LogLevel.Warning, Message = "The session cookie '{CookieName}' could not be unprotected (a Data Protection key ring that is not shared between the app's instances, or a tampered cookie); a new session starts.")]
    private static partial void LogInvalidCookie(ILogger logger, string cookieName, Exception exception);
}
