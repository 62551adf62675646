using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kv.AspNetCore.Session;

/// <summary>
/// Gives each request its session (<see cref="ISessionFeature"/>, <c>HttpContext.Session</c>): loaded
/// asynchronously before the rest of the pipeline runs when the request brings a session cookie, empty
/// without a server call when it does not; saved when the response starts, and again when the request
/// ends for changes made after that. A request that fails with an exception saves nothing.
/// </summary>
internal sealed class KvSessionMiddleware(RequestDelegate next, KvSessionStore store)
{
    private static readonly Func<object, Task> OnStarting = static state => ((KvSession)state).OnResponseStartingAsync();

    public async Task InvokeAsync(HttpContext context)
    {
        var session = store.Open(context);
        if (!session.IsNew)
        {
            // Throw mode: a failed load fails the request here, before the endpoint runs.
            await session.LoadFromServerAsync(context.RequestAborted).ConfigureAwait(false);
        }

        if (!context.Response.HasStarted)
        {
            context.Response.OnStarting(OnStarting, session);
        }

        context.Features.Set<ISessionFeature>(new KvSessionFeature(session));
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch
        {
            session.Discard();
            throw;
        }
        finally
        {
            context.Features.Set<ISessionFeature>(null);
        }

        // The response may not have started (no body yet): saving here lets a failure take the normal
        // exception path (a 500 from the exception handler); the cookie still goes out as it starts.
        try
        {
            await session.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            // Not again when the error response starts.
            session.Discard();
            throw;
        }
    }
}
