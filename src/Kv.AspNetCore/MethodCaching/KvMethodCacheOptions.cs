using System.Text.Json;

namespace Kv.AspNetCore;

/// <summary>
/// The [Cache] attribute's settings, registered by <c>AddKvMethodCaching</c> (and <c>AddKvCaching</c>);
/// bound from the configuration section <c>Kv:MethodCache</c> and validated when the host starts.
/// Entries live in the Kv distributed cache (<c>Kv:Cache</c>: its instance name prefixes them, and its
/// <c>OnServerUnavailable</c> says what happens when the server is down).
/// </summary>
/// <remarks>
/// A key reads <c>{KeyPrefix}{Version}:{Namespace.IService.Method(parameter types)}:{argument}:{argument}…</c>,
/// for example <c>kvm:1:Shop.IProductCatalog.GetProductAsync(int, System.Threading.CancellationToken):42</c>.
/// </remarks>
public sealed class KvMethodCacheOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Kv:MethodCache";

    /// <summary>Starts every key (after the cache's instance name). Default: <c>kvm:</c>.</summary>
    public string KeyPrefix { get; set; } = "kvm:";

    /// <summary>
    /// Follows the prefix in every key: change it (a deploy whose result types changed shape) and every
    /// entry written before is ignored, to expire on its own. Default: <c>1</c>. Letters, digits, '.', '-' and '_'.
    /// </summary>
    public string Version { get; set; } = "1";

    /// <summary>How long entries of a <c>[Cache]</c> without <c>Seconds</c> live. Default: 5 minutes.</summary>
    public TimeSpan DefaultDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether null results are stored (a method can say otherwise with <see cref="CacheAttribute.Nulls"/>). Default: true.</summary>
    public bool CacheNulls { get; set; } = true;

    /// <summary>
    /// Keys longer than this many UTF-8 bytes are shortened: their first characters are kept for reading,
    /// followed by <c>#</c> and the SHA-256 of the whole key (base64url). Default: 200.
    /// </summary>
    public int MaxKeyLength { get; set; } = 200;

    /// <summary>
    /// Serializes results and arguments that have no fixed text form (records, classes, collections).
    /// For trimmed or AOT apps set <see cref="JsonSerializerOptions.TypeInfoResolver"/> to a source-generated
    /// <c>JsonSerializerContext</c> that lists the result and argument types. Read when the cache is made.
    /// </summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.General);
}
