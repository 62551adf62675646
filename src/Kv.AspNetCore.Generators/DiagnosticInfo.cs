using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Kv.AspNetCore.Generators;

/// <summary>A diagnostic as plain data (a <see cref="Location"/> holds its syntax tree, which changes every compilation).</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan Lines, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        var span = location?.GetLineSpan();
        return new DiagnosticInfo(
            descriptor.Id,
            span?.Path ?? "",
            location?.SourceSpan ?? default,
            span?.Span ?? default,
            new EquatableArray<string>(arguments));
    }

    public Diagnostic ToDiagnostic()
    {
        var location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, Lines);
        return Diagnostic.Create(Diagnostics.ById(Id), location, Arguments.Length == 0 ? Array.Empty<object>() : ToObjects());
    }

    private object[] ToObjects()
    {
        var objects = new object[Arguments.Length];
        for (int i = 0; i < objects.Length; i++)
        {
            objects[i] = Arguments[i];
        }

        return objects;
    }
}
