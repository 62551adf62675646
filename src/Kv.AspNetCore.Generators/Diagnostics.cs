using System;
using Microsoft.CodeAnalysis;

namespace Kv.AspNetCore.Generators;

/// <summary>What the [Cache] generator reports: each a shape it cannot decorate, with what to do instead.</summary>
internal static class Diagnostics
{
    private const string Category = "Kv.Caching";

    public static readonly DiagnosticDescriptor NotOnInterface = new(
        "KVC001",
        "[Cache] and [CacheInvalidate] belong on interface methods",
        "'{0}' is a method of {1} '{2}': put [{3}] on the method of the interface the service is registered by, which the generated decorator implements",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NothingToCache = new(
        "KVC002",
        "A [Cache] method must return a value",
        "'{0}' returns {1}: [Cache] stores a method's result, so it needs T, Task<T> or ValueTask<T>; for a method that changes data use [CacheInvalidate]",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedParameter = new(
        "KVC003",
        "A [Cache] method's parameters must be plain values",
        "'{0}': {1}; a cached method's arguments make its key, so they must be passed by value and serializable (no ref, out, in, pointers or ref structs)",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor GenericMethod = new(
        "KVC004",
        "Generic methods cannot be cached",
        "'{0}' is generic: [Cache] needs one key shape and one result type per method; add a non-generic overload per type and cache those",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownMethod = new(
        "KVC005",
        "[CacheInvalidate] names no [Cache] method",
        "[CacheInvalidate] on '{0}' names '{1}', which is not a [Cache] method of '{2}': use nameof(...) of a cached method of the same interface, or Tags",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingParameter = new(
        "KVC006",
        "[CacheInvalidate] cannot build the cached method's key",
        "[CacheInvalidate] on '{0}' evicts '{1}', whose key needs a parameter '{2}' of type {3}: '{0}' has none of that name and type; rename the parameter or evict by Tags",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedInterface = new(
        "KVC007",
        "The interface cannot be decorated",
        "'{0}' {1}: the generated caching decorator must implement it from a class of the same assembly",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidDuration = new(
        "KVC008",
        "A [Cache] duration cannot be negative",
        "'{0}' has [Cache(Seconds = {1})]: use a positive number of seconds, or 0 (or none) for Kv:MethodCache:DefaultDuration",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static DiagnosticDescriptor ById(string id) => id switch
    {
        "KVC001" => NotOnInterface,
        "KVC002" => NothingToCache,
        "KVC003" => UnsupportedParameter,
        "KVC004" => GenericMethod,
        "KVC005" => UnknownMethod,
        "KVC006" => MissingParameter,
        "KVC007" => UnsupportedInterface,
        "KVC008" => InvalidDuration,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "Not a Kv.Caching diagnostic."),
    };
}
