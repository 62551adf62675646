using Microsoft.AspNetCore.Http;

namespace Kv.AspNetCore.RateLimiting;

/// <summary>
/// Gives each request a <see cref="RateLimitResponseState"/> that the Kv limiters deciding for it fill,
/// and writes the <c>RateLimit-Policy</c> and <c>RateLimit</c> headers from it as the response starts:
/// on every response of a rate-limited endpoint, granted or refused. Runs before ASP.NET Core's
/// rate-limiting middleware (<c>UseKvRateLimiter</c> adds both, in that order).
/// </summary>
internal sealed class KvRateLimitHeadersMiddleware(RequestDelegate next)
{
    private static readonly Func<object, Task> OnStarting = static state =>
    {
        var (response, decisions) = ((HttpResponse, RateLimitResponseState))state;
        decisions.WriteHeaders(response.Headers);
        return Task.CompletedTask;
    };

    // Async so that the async-local set here is undone when the request leaves.
    public async Task InvokeAsync(HttpContext context)
    {
        var decisions = new RateLimitResponseState();
        context.Response.OnStarting(OnStarting, (context.Response, decisions));
        RateLimitResponseState.Current = decisions;
        await next(context).ConfigureAwait(false);
    }
}
