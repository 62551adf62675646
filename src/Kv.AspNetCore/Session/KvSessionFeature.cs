using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kv.AspNetCore.Session;

/// <summary>What <c>HttpContext.Session</c> reads.</summary>
internal sealed class KvSessionFeature(ISession session) : ISessionFeature
{
    public ISession Session { get; set; } = session;
}
