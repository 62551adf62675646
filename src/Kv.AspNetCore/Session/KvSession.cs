using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Session;

/// <summary>
/// One request's view of a session. The middleware loads it before the endpoint runs, so every read
/// and write here is in memory: no property or method does I/O, and <see cref="LoadAsync"/> has nothing
/// left to do. Changes are kept per key and saved, only those, when the response starts (or when the
/// request ends, or on <see cref="CommitAsync"/>). Not thread-safe, as ASP.NET Core's session is not.
/// </summary>
internal sealed partial class KvSession : ISession
{
    private readonly KvSessionStore _store;
    private readonly HttpContext _context;
    private readonly bool _isNew;

    // A key's new value, or null when it was removed, since the last save.
    private readonly Dictionary<string, byte[]?> _changes = new(StringComparer.Ordinal);
    private Dictionary<string, byte[]> _values = new(StringComparer.Ordinal);
    private bool _cleared;

    // False until something of this session can be on the server: there is nothing to delete before.
    private bool _onServer;

    // The load failed and OnServerUnavailable said go on: an empty session whose changes are not saved.
    private bool _unavailable;
    private bool _cookieSent;
    private bool _discarded;

    public KvSession(KvSessionStore store, HttpContext context, string id, bool isNew)
    {
        _store = store;
        _context = context;
        _isNew = isNew;
        _onServer = !isNew;
        Id = id;
    }

    /// <summary>The session's id: its hash is <see cref="KvSessionOptions.KeyPrefix"/> followed by it.</summary>
    public string Id { get; }

    /// <summary>True when the request brought no valid session cookie.</summary>
    public bool IsNew => _isNew;

    /// <summary>False only when the load failed and was ignored (<see cref="KvFailureMode.Ignore"/>); never loads.</summary>
    public bool IsAvailable => !_unavailable;

    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>Nothing to do: the middleware loaded the session before the endpoint ran.</summary>
    public Task LoadAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Loads the session from the server (the middleware calls this once, for a session with a cookie).</summary>
    public async Task LoadFromServerAsync(CancellationToken cancellationToken)
    {
        try
        {
            _values = await _store.LoadAsync(Id, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            _store.Unavailable("load", ex);
            _unavailable = true;
        }
    }

    public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value) => _values.TryGetValue(key, out value);

    public void Set(string key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (_isNew && !_cookieSent && _context.Response.HasStarted)
        {
            throw new InvalidOperationException("A new session cannot be started after the response has started: its cookie goes out with the response headers. Set session values before writing the response.");
        }

        // A copy: the caller may reuse its buffer, and the save sends this array as it is.
        byte[] copy = value.AsSpan().ToArray();
        _values[key] = copy;
        _changes[key] = copy;
    }

    public void Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_values.Remove(key))
        {
            _changes[key] = null;
        }
    }

    /// <summary>Empties the session: the save deletes the whole hash (keys another request set too), then writes what is set afterwards.</summary>
    public void Clear()
    {
        _values.Clear();
        _changes.Clear();
        _cleared = true;
    }

    /// <summary>Saves the changes made since the last save, now, in one round trip; nothing when there are none.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_discarded || (!_cleared && _changes.Count == 0))
        {
            return;
        }

        if (_unavailable)
        {
            LogNotSavedAfterFailedLoad(_store.Logger, _changes.Count);
            Reset();
            return;
        }

        if (_isNew && !_cookieSent && !_store.Cookie.CanEstablish(_context))
        {
            LogNotEstablished(_store.Logger);
            Reset();
            return;
        }

        try
        {
            await _store.SaveAsync(Id, _cleared, _changes, _onServer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ServerUnavailable.Is(ex))
        {
            // Throw rethrows here, keeping the changes for a later commit; Ignore drops them (logged).
            _store.Unavailable("commit", ex);
        }

        _onServer = true;
        Reset();
    }

    /// <summary>
    /// Runs as the response starts: saves the changes so a failure can still fail the request, then
    /// sends the cookie of a new session that holds something (an empty new session leaves no trace).
    /// </summary>
    public async Task OnResponseStartingAsync()
    {
        if (_discarded)
        {
            return;
        }

        await CommitAsync(CancellationToken.None).ConfigureAwait(false);
        if (_isNew && !_cookieSent && _values.Count > 0 && _store.Cookie.CanEstablish(_context))
        {
            _store.Cookie.Append(_context, Id);
            _cookieSent = true;
        }
    }

    /// <summary>The request failed with an exception: its changes are dropped, not saved.</summary>
    public void Discard()
    {
        if (!_discarded && (_cleared || _changes.Count > 0))
        {
            LogDiscarded(_store.Logger, _changes.Count);
        }

        _discarded = true;
        Reset();
    }

    private void Reset()
    {
        _changes.Clear();
        _cleared = false;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} session change(s) not saved: the session could not be loaded in this request.")]
    private static partial void LogNotSavedAfterFailedLoad(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A new session was not saved: its cookie is not essential and the user has not consented to tracking cookies (set Kv:Session:Cookie:IsEssential to start sessions before consent).")]
    private static partial void LogNotEstablished(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Count} session change(s) dropped: the request failed with an exception.")]
    private static partial void LogDiscarded(ILogger logger, int count);
}
