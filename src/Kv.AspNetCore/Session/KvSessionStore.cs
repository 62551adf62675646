using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Kv.AspNetCore.Diagnostics;
using Kv.Client;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Session;

/// <summary>
/// Where sessions live: one hash per session at <see cref="KvSessionOptions.KeyPrefix"/> + id, one field
/// per session key. A load is HGETALL and PEXPIRE in one round trip; a save is one MULTI/EXEC of DEL
/// (after <c>Clear</c>), HSET of the keys set, HDEL of the keys removed and PEXPIRE, so it lands whole
/// and touches nothing another request changed.
/// </summary>
internal sealed partial class KvSessionStore
{
    private readonly KvClient _client;
    private readonly KvSessionOptions _options;
    private readonly KvMetrics _metrics;
    private readonly ILogger _logger;
    private readonly long _idleMilliseconds;

    public KvSessionStore(KvClient client, IOptions<KvSessionOptions> options, IDataProtectionProvider dataProtection, KvMetrics metrics, ILoggerFactory loggerFactory)
    {
        _client = client;
        _options = options.Value;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger("Kv.AspNetCore.Session");
        _idleMilliseconds = (long)Math.Ceiling(_options.IdleTimeout.TotalMilliseconds);
        Cookie = new KvSessionCookie(dataProtection, _options, _logger);
    }

    public KvSessionCookie Cookie { get; }

    public ILogger Logger => _logger;

    /// <summary>The request's session: the one its cookie names (not loaded yet), or a new, empty one.</summary>
    public KvSession Open(HttpContext context)
        => Cookie.TryRead(context, out string id) ? new KvSession(this, context, id, isNew: false) : new KvSession(this, context, KvSessionCookie.NewId(), isNew: true);

    /// <summary>The hash's key for a session id.</summary>
    public string KeyOf(string id) => string.Concat(_options.KeyPrefix, id);

    /// <summary>Reads every key of the session and pushes its expiry out, in one round trip.</summary>
    public async Task<Dictionary<string, byte[]>> LoadAsync(string id, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            KvKey key = KeyOf(id);
            var batch = _client.CreateBatch();
            ValueTask<KvResult>[] replies = [batch.Add("HGETALL", key), batch.Add("PEXPIRE", key, _idleMilliseconds)];
            batch.Execute(cancellationToken);
            var results = await BatchReplies.AwaitAllAsync(replies).ConfigureAwait(false);

            // RESP2 answers an array and RESP3 a map; both alternate field and value.
            var fields = results[0].Items;
            var values = new Dictionary<string, byte[]>(fields.Length / 2, StringComparer.Ordinal);
            for (int i = 0; i + 1 < fields.Length; i += 2)
            {
                values[fields[i].AsString()!] = fields[i + 1].AsValue().ToArray();
            }

            return values;
        }
        finally
        {
            _metrics.SessionDuration("load", start);
        }
    }

    /// <summary>
    /// Saves a request's changes (a value, or null for a removed key) in one MULTI/EXEC: DEL when
    /// <paramref name="clear"/>, HSET of the values set, HDEL of the keys removed (unless cleared), and
    /// PEXPIRE of the idle timeout (unless the hash was cleared and nothing was set, so it is gone).
    /// When <paramref name="onServer"/> is false (a new session, nothing of it saved yet) there is
    /// nothing to delete: only the values set are written, and nothing at all when there are none.
    /// </summary>
    public async Task SaveAsync(string id, bool clear, Dictionary<string, byte[]?> changes, bool onServer, CancellationToken cancellationToken)
    {
        int sets = 0;
        int deletes = 0;
        foreach (var change in changes.Values)
        {
            if (change is null)
            {
                deletes++;
            }
            else
            {
                sets++;
            }
        }

        clear &= onServer;
        if (clear || !onServer)
        {
            deletes = 0;
        }

        if (!clear && sets == 0 && deletes == 0)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            KvKey key = KeyOf(id);
            var batch = _client.CreateBatch();
            var replies = new List<ValueTask<KvResult>>(6) { batch.Add("MULTI") };
            if (clear)
            {
                replies.Add(batch.Add("DEL", key));
            }

            if (sets > 0)
            {
                var args = new KvValue[1 + (2 * sets)];
                args[0] = key;
                int n = 1;
                foreach (var (field, value) in changes)
                {
                    if (value is not null)
                    {
                        args[n++] = field;
                        args[n++] = value;
                    }
                }

                replies.Add(batch.Add("HSET", args));
            }

            if (deletes > 0)
            {
                var args = new KvValue[1 + deletes];
                args[0] = key;
                int n = 1;
                foreach (var (field, value) in changes)
                {
                    if (value is null)
                    {
                        args[n++] = field;
                    }
                }

                replies.Add(batch.Add("HDEL", args));
            }

            if (sets > 0 || !clear)
            {
                replies.Add(batch.Add("PEXPIRE", key, _idleMilliseconds));
            }

            replies.Add(batch.Add("EXEC"));
            batch.Execute(cancellationToken);
            var results = await BatchReplies.AwaitAllAsync([.. replies]).ConfigureAwait(false);
            BatchReplies.ThrowIfFailed(results[^1]);
        }
        finally
        {
            _metrics.SessionDuration("commit", start);
        }
    }

    /// <summary>
    /// Reports a load or save the server could not serve: logged and counted, then rethrown
    /// (<see cref="KvFailureMode.Throw"/>) or returns so the caller goes on without it
    /// (<see cref="KvFailureMode.Ignore"/>).
    /// </summary>
    public void Unavailable(string operation, Exception ex)
    {
        bool ignore = _options.OnServerUnavailable == KvFailureMode.Ignore;
        _metrics.SessionFailure(operation, ignore);
        if (!ignore)
        {
            LogFailed(_logger, operation, ex);
            ExceptionDispatchInfo.Throw(ex);
        }

        if (operation == "load")
        {
            LogLoadIgnored(_logger, ex.Message);
        }
        else
        {
            LogCommitIgnored(_logger, ex.Message);
        }
    }

    /// <summary>Awaits every reply of a batch (so each pooled operation goes back to its pool), then rethrows the first failure.</summary>
    [LoggerMessage(Level = LogLevel.Error, Message = "Kv session {Operation} failed: the server could not be reached (Kv:Session:OnServerUnavailable = Throw, so the request fails).")]
    private static partial void LogFailed(ILogger logger, string operation, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv session could not be loaded (Kv:Session:OnServerUnavailable = Ignore): the request goes on with an empty session whose changes are not saved. {Reason}")]
    private static partial void LogLoadIgnored(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kv session changes were not saved (Kv:Session:OnServerUnavailable = Ignore): the server could not be reached. {Reason}")]
    private static partial void LogCommitIgnored(ILogger logger, string reason);
}
