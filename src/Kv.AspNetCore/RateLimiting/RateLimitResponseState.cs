using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// The bridge from a limiter's decision to the response's headers. ASP.NET Core's rate-limiting
/// middleware keeps a granted lease to itself, and a limiter is not told which request it decides for;
/// but it runs in the request's execution context, so <see cref="KvRateLimitHeadersMiddleware"/> puts
/// one of these in an async-local for the request, each Kv limiter adds its lease, and the headers are
/// written from them as the response starts.
/// </summary>
internal sealed class RateLimitResponseState
{
    private static readonly AsyncLocal<RateLimitResponseState?> CurrentState = new();

    private KvRateLimitLease? _first;
    private List<KvRateLimitLease>? _more;

    /// <summary>The current request's state; null outside <c>UseKvRateLimiter</c> (a worker, a test).</summary>
    public static RateLimitResponseState? Current
    {
        get => CurrentState.Value;
        set => CurrentState.Value = value;
    }

    public void Add(KvRateLimitLease lease)
    {
        lock (this)
        {
            if (_first is null)
            {
                _first = lease;
            }
            else
            {
                (_more ??= []).Add(lease);
            }
        }
    }

    /// <summary>
    /// Writes <c>RateLimit-Policy</c> and <c>RateLimit</c> (draft-ietf-httpapi-ratelimit-headers-10) for
    /// every decision of the request: one field line per policy, <c>"api";q=100;w=60</c> and
    /// <c>"api";r=42;t=3</c>, a limit's items in the policy's order.
    /// </summary>
    public void WriteHeaders(IHeaderDictionary headers)
    {
        lock (this)
        {
            if (_first is null)
            {
                return;
            }

            Write(headers, _first);
            if (_more is not null)
            {
                foreach (var lease in _more)
                {
                    Write(headers, lease);
                }
            }
        }
    }

    private static void Write(IHeaderDictionary headers, KvRateLimitLease lease)
    {
        var policy = lease.Policy;
        headers.Append("RateLimit-Policy", policy.PolicyHeader);
        if (!lease.IsDecided)
        {
            return;
        }

        var value = new DefaultInterpolatedStringHandler(16 * policy.LimitCount, 3 * policy.LimitCount, CultureInfo.InvariantCulture);
        for (int i = 0; i < policy.LimitCount; i++)
        {
            if (i > 0)
            {
                value.AppendLiteral(", ");
            }

            // t: whole seconds, rounded up, so a client that waits that long finds the permits free.
            value.AppendFormatted(policy.HeaderNames[i]);
            value.AppendLiteral(";r=");
            value.AppendFormatted(lease.RemainingOf(i));
            value.AppendLiteral(";t=");
            value.AppendFormatted((lease.ResetMillisecondsOf(i) + 999) / 1000);
        }

        headers.Append("RateLimit", value.ToStringAndClear());
    }
}
