using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Kv.AspNetCore.Generators;

/// <summary>
/// Generates, for each interface with [Cache] or [CacheInvalidate] methods, a sealed decorator that
/// implements the interface over an inner instance, and registers it with <c>KvCachedServices</c> from a
/// module initializer, so <c>AddKvCaching</c> finds it without reflection.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CacheGenerator : IIncrementalGenerator
{
    internal const string CacheAttribute = "Kv.AspNetCore.CacheAttribute";
    internal const string InvalidateAttribute = "Kv.AspNetCore.CacheInvalidateAttribute";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // One result per attributed method, each the whole decorator of its interface (equal results
        // for the methods of one interface, kept once below), so a keystroke elsewhere reuses them.
        var cached = context.SyntaxProvider.ForAttributeWithMetadataName(CacheAttribute, static (_, _) => true, static (c, t) => Build(c, "Cache", t));
        var invalidating = context.SyntaxProvider.ForAttributeWithMetadataName(InvalidateAttribute, static (_, _) => true, static (c, t) => Build(c, "CacheInvalidate", t));
        var all = cached.Collect().Combine(invalidating.Collect());
        context.RegisterSourceOutput(all, static (spc, pair) =>
        {
            var seen = new HashSet<string>();
            Emit(spc, pair.Left, seen);
            Emit(spc, pair.Right, seen);
        });
    }

    private static void Emit(SourceProductionContext context, ImmutableArray<DecoratorModel> models, HashSet<string> seen)
    {
        foreach (var model in models)
        {
            if (!seen.Add(model.Key))
            {
                continue;
            }

            foreach (var diagnostic in model.Diagnostics)
            {
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (model.Source is { } source)
            {
                context.AddSource(model.HintName, source);
            }
        }
    }

    private static DecoratorModel Build(GeneratorAttributeSyntaxContext context, string attribute, CancellationToken token)
    {
        var method = (IMethodSymbol)context.TargetSymbol;
        var type = method.ContainingType;
        if (type.TypeKind != TypeKind.Interface)
        {
            string kind = type.TypeKind == TypeKind.Struct ? "struct" : type.TypeKind.ToString().ToLowerInvariant();
            var diagnostic = DiagnosticInfo.Create(Diagnostics.NotOnInterface, method.Locations.Length > 0 ? method.Locations[0] : null, method.Name, kind, type.ToDisplayString(), attribute);
            return new DecoratorModel("method:" + method.ToDisplayString() + attribute, "", null, new EquatableArray<DiagnosticInfo>(new[] { diagnostic }));
        }

        token.ThrowIfCancellationRequested();
        return DecoratorEmitter.Emit(type);
    }
}

/// <summary>What one interface generates: its decorator's source (none when it cannot be decorated) and diagnostics.</summary>
internal sealed record DecoratorModel(string Key, string HintName, string? Source, EquatableArray<DiagnosticInfo> Diagnostics);
