using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kv.AspNetCore.Generators;

/// <summary>Writes the caching decorator of one interface (or the diagnostics that say why it cannot).</summary>
internal static class DecoratorEmitter
{
    private const string Runtime = "global::Kv.AspNetCore.MethodCaching.";

    // Types in generated code: fully qualified, with nullable annotations so the decorator matches the interface.
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    // A method's identity in its cache key: stable text, no 'global::', no nullable reference annotations
    // (they do not change the method), keywords for special types.
    private static readonly SymbolDisplayFormat IdentityFormat = new(
        globalNamespaceStyle: SymbolDisplayGlobalNamespaceStyle.Omitted,
        typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
        genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters,
        miscellaneousOptions: SymbolDisplayMiscellaneousOptions.UseSpecialTypes);

    private enum ReturnKind
    {
        Void,
        Value,
        Task,
        TaskOfT,
        ValueTask,
        ValueTaskOfT,
    }

    public static DecoratorModel Emit(INamedTypeSymbol iface)
    {
        string key = "interface:" + iface.ToDisplayString(IdentityFormat);
        string hint = "KvCached." + Sanitize(iface.ToDisplayString(IdentityFormat)) + ".g.cs";
        var diagnostics = new List<DiagnosticInfo>();
        var location = iface.Locations.Length > 0 ? iface.Locations[0] : null;
        if (Unsupported(iface) is { } reason)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedInterface, location, iface.ToDisplayString(), reason));
            return new DecoratorModel(key, hint, null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }

        var members = Members(iface);
        var cached = new List<CachedMethod>();
        foreach (var member in members)
        {
            if (member is IMethodSymbol method && Attribute(method, CacheGenerator.CacheAttribute) is { } attribute
                && Cached(method, attribute, cached.Count, diagnostics) is { } entry)
            {
                cached.Add(entry);
            }
        }

        var body = new StringBuilder();
        int errors = diagnostics.Count;
        foreach (var member in members)
        {
            switch (member)
            {
                case IMethodSymbol method:
                    WriteMethod(body, method, cached, diagnostics);
                    break;
                case IPropertySymbol property:
                    WriteProperty(body, property);
                    break;
                case IEventSymbol @event:
                    WriteEvent(body, @event);
                    break;
            }
        }

        if (diagnostics.Count > 0 || errors > 0)
        {
            return new DecoratorModel(key, hint, null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }

        return new DecoratorModel(key, hint, Source(iface, cached, body.ToString()), new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
    }

    private static string? Unsupported(INamedTypeSymbol iface)
    {
        if (iface.IsGenericType)
        {
            return "is generic, which [Cache] does not support yet; declare a non-generic interface that derives from it";
        }

        for (var type = iface; type is not null; type = type.ContainingType)
        {
            if (type.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal))
            {
                return $"is not visible to the rest of its assembly ({type.Name} is {type.DeclaredAccessibility.ToString().ToLowerInvariant()}); make it internal or public";
            }

            if (type.ContainingType is { IsGenericType: true })
            {
                return "is nested in a generic type; move it out";
            }
        }

        return null;
    }

    /// <summary>The interface's members and its base interfaces' that an implementation provides.</summary>
    private static List<ISymbol> Members(INamedTypeSymbol iface)
    {
        var members = new List<ISymbol>();
        Add(iface);
        foreach (var parent in iface.AllInterfaces)
        {
            Add(parent);
        }

        return members;

        void Add(INamedTypeSymbol type)
        {
            foreach (var member in type.GetMembers())
            {
                if (member.IsStatic || !(member.IsAbstract || member.IsVirtual))
                {
                    continue;
                }

                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary } or IPropertySymbol or IEventSymbol)
                {
                    members.Add(member);
                }
            }
        }
    }

    private static AttributeData? Attribute(ISymbol symbol, string name)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == name)
            {
                return attribute;
            }
        }

        return null;
    }

    private static CachedMethod? Cached(IMethodSymbol method, AttributeData attribute, int index, List<DiagnosticInfo> diagnostics)
    {
        var location = method.Locations.Length > 0 ? method.Locations[0] : null;
        string display = method.ToDisplayString();
        var (kind, result) = Classify(method.ReturnType);
        int before = diagnostics.Count;
        if (kind is ReturnKind.Void or ReturnKind.Task or ReturnKind.ValueTask)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NothingToCache, location, display, method.ReturnType.ToDisplayString()));
        }

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.GenericMethod, location, display));
        }

        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedParameter, location, display, "it returns by reference"));
        }

        var keyParameters = new List<IParameterSymbol>();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedParameter, location, display, $"parameter '{parameter.Name}' is {parameter.RefKind.ToString().ToLowerInvariant()}"));
            }
            else if (parameter.Type is IPointerTypeSymbol or IFunctionPointerTypeSymbol || parameter.Type.IsRefLikeType)
            {
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedParameter, location, display, $"parameter '{parameter.Name}' is a {parameter.Type.ToDisplayString()}"));
            }
            else if (!IsCancellationToken(parameter.Type))
            {
                keyParameters.Add(parameter);
            }
        }

        int seconds = 0;
        string tags = "null";
        int nulls = 0;
        foreach (var named in attribute.NamedArguments)
        {
            switch (named.Key)
            {
                case "Seconds" when named.Value.Value is int s:
                    seconds = s;
                    if (s < 0)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(Diagnostics.InvalidDuration, location, display, s.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    }

                    break;
                case "Tags":
                    tags = StringArray(named.Value);
                    break;
                case "Nulls" when named.Value.Value is int n:
                    nulls = n;
                    break;
            }
        }

        if (diagnostics.Count > before)
        {
            return null;
        }

        var types = new StringBuilder();
        foreach (var parameter in method.Parameters)
        {
            types.Append(types.Length == 0 ? "" : ", ").Append(parameter.Type.ToDisplayString(IdentityFormat));
        }

        string id = $"{method.ContainingType.ToDisplayString(IdentityFormat)}.{method.Name}({types})";
        return new CachedMethod(method, index, id, result!, kind, keyParameters, seconds, tags, nulls);
    }

    private static (ReturnKind Kind, ITypeSymbol? Result) Classify(ITypeSymbol type)
    {
        if (type.SpecialType == SpecialType.System_Void)
        {
            return (ReturnKind.Void, null);
        }

        if (type is INamedTypeSymbol named && named.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks")
        {
            switch (named.Name, named.Arity)
            {
                case ("Task", 0):
                    return (ReturnKind.Task, null);
                case ("ValueTask", 0):
                    return (ReturnKind.ValueTask, null);
                case ("Task", 1):
                    return (ReturnKind.TaskOfT, named.TypeArguments[0]);
                case ("ValueTask", 1):
                    return (ReturnKind.ValueTaskOfT, named.TypeArguments[0]);
            }
        }

        return (ReturnKind.Value, type);
    }

    private static bool IsCancellationToken(ITypeSymbol type)
        => type.Name == "CancellationToken" && type.ContainingNamespace?.ToDisplayString() == "System.Threading";

    private static string StringArray(TypedConstant constant)
    {
        if (constant.IsNull || constant.Kind != TypedConstantKind.Array)
        {
            return "null";
        }

        var text = new StringBuilder("new string[] { ");
        foreach (var value in constant.Values)
        {
            text.Append(Literal(value.Value as string ?? "")).Append(", ");
        }

        return text.Append('}').ToString();
    }

    private static void WriteMethod(StringBuilder body, IMethodSymbol method, List<CachedMethod> cached, List<DiagnosticInfo> diagnostics)
    {
        string target = $"(({method.ContainingType.ToDisplayString(TypeFormat)})_inner)";
        foreach (var entry in cached)
        {
            if (SymbolEqualityComparer.Default.Equals(entry.Method, method))
            {
                WriteCached(body, entry);
                return;
            }
        }

        var (kind, _) = Classify(method.ReturnType);
        if (Attribute(method, CacheGenerator.InvalidateAttribute) is { } invalidate)
        {
            WriteInvalidating(body, method, kind, invalidate, cached, diagnostics);
            return;
        }

        string call = $"{target}.{method.Name}{TypeArguments(method)}({Arguments(method, null)})";
        string prefix = method.ReturnsByRef || method.ReturnsByRefReadonly ? "ref " : "";
        body.Append("    ").Append(Signature(method)).Append(" => ").Append(prefix).Append(call).AppendLine(";").AppendLine();
    }

    private static void WriteCached(StringBuilder body, CachedMethod entry)
    {
        var method = entry.Method;
        string result = entry.Result.ToDisplayString(TypeFormat);
        var state = new StringBuilder("_inner");
        var keyArguments = new StringBuilder("_cache");
        int item = 2;
        var stateArguments = new StringBuilder();
        string callerToken = "default";
        foreach (var parameter in method.Parameters)
        {
            stateArguments.Append(stateArguments.Length == 0 ? "" : ", ");
            if (IsCancellationToken(parameter.Type))
            {
                // The shared call runs on the flight's token: cancelled only when every waiter has given up.
                if (callerToken == "default")
                {
                    callerToken = Name(parameter);
                }

                stateArguments.Append("token");
                continue;
            }

            state.Append(", ").Append(Name(parameter));
            stateArguments.Append("s.Item").Append(item++);
        }

        foreach (var parameter in entry.KeyParameters)
        {
            keyArguments.Append(", ").Append(Name(parameter));
        }

        bool tuple = item > 2;
        string stateValue = tuple ? $"({state})" : "_inner";
        string inner = tuple ? "s.Item1" : "s";
        string call = $"(({method.ContainingType.ToDisplayString(TypeFormat)}){inner}).{method.Name}({stateArguments})";
        string key = $"Key{entry.Index}({keyArguments})";
        body.Append("    ").Append(Signature(method)).AppendLine();
        switch (entry.Kind)
        {
            case ReturnKind.TaskOfT:
                body.Append("        => _m").Append(entry.Index).Append(".GetOrCallAsync(").Append(key).Append(", ").Append(stateValue)
                    .Append(", static (s, token) => new global::System.Threading.Tasks.ValueTask<").Append(result).Append(">(").Append(call).Append("), ")
                    .Append(callerToken).AppendLine(").AsTask();");
                break;
            case ReturnKind.ValueTaskOfT:
                body.Append("        => _m").Append(entry.Index).Append(".GetOrCallAsync(").Append(key).Append(", ").Append(stateValue)
                    .Append(", static (s, token) => ").Append(call).Append(", ").Append(callerToken).AppendLine(");");
                break;
            default:
                body.Append("        => _m").Append(entry.Index).Append(".GetOrCall(").Append(key).Append(", ").Append(stateValue)
                    .Append(", static (s, token) => ").Append(call).Append(", ").Append(callerToken).AppendLine(");");
                break;
        }

        body.AppendLine();

        // The key alone, for [CacheInvalidate] and IKvMethodCache.InvalidateAsync: a separate method, since
        // the key's first buffer is on the stack (not allowed in an async method).
        body.Append("    internal static string Key").Append(entry.Index).Append("(").Append(Runtime).Append("KvMethodCache cache");
        foreach (var parameter in entry.KeyParameters)
        {
            body.Append(", ").Append(parameter.Type.ToDisplayString(TypeFormat)).Append(' ').Append(Name(parameter));
        }

        body.AppendLine(")").AppendLine("    {");
        body.Append("        var key = new ").Append(Runtime).Append("KvCacheKeyBuilder(stackalloc char[256], cache, ").Append(Literal(entry.Id)).AppendLine(");");
        foreach (var parameter in entry.KeyParameters)
        {
            AppendKeyPart(body, parameter.Type, Name(parameter), "        ");
        }

        body.AppendLine("        return key.ToKey();").AppendLine("    }").AppendLine();
    }

    private static void AppendKeyPart(StringBuilder body, ITypeSymbol type, string expression, string indent)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            && SimpleAppend(nullable.TypeArguments[0], "__v") is { } inner)
        {
            body.Append(indent).Append("if (").Append(expression).Append(" is { } __").Append(expression.TrimStart('@')).AppendLine(")")
                .Append(indent).AppendLine("{")
                .Append(indent).Append("    ").Append(SimpleAppend(nullable.TypeArguments[0], "__" + expression.TrimStart('@'))).AppendLine(";")
                .Append(indent).AppendLine("}")
                .Append(indent).AppendLine("else")
                .Append(indent).AppendLine("{")
                .Append(indent).AppendLine("    key.AppendNull();")
                .Append(indent).AppendLine("}");
            _ = inner;
            return;
        }

        body.Append(indent).Append(SimpleAppend(type, expression) ?? $"key.AppendJson<{type.ToDisplayString(TypeFormat)}>({expression})").AppendLine(";");
    }

    /// <summary>The call that writes a value of a type with a fixed text form, or null for JSON.</summary>
    private static string? SimpleAppend(ITypeSymbol type, string expression)
    {
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            // The number, not the name: renaming a member keeps its entries.
            return Unsigned(underlying.SpecialType) ? $"key.Append((ulong){expression})" : $"key.Append((long){expression})";
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_SByte:
            case SpecialType.System_Int16:
            case SpecialType.System_Int32:
            case SpecialType.System_Int64:
            case SpecialType.System_IntPtr:
                return $"key.Append((long){expression})";
            case SpecialType.System_Byte:
            case SpecialType.System_UInt16:
            case SpecialType.System_UInt32:
            case SpecialType.System_UInt64:
            case SpecialType.System_UIntPtr:
                return $"key.Append((ulong){expression})";
            case SpecialType.System_Boolean:
            case SpecialType.System_Char:
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
            case SpecialType.System_String:
            case SpecialType.System_DateTime:
                return $"key.Append({expression})";
        }

        if (type.ContainingNamespace?.ToDisplayString() == "System"
            && type.Name is "Guid" or "DateTimeOffset" or "TimeSpan" or "DateOnly" or "TimeOnly"
            && type is INamedTypeSymbol { Arity: 0, TypeKind: TypeKind.Struct })
        {
            return $"key.Append({expression})";
        }

        return null;
    }

    private static bool Unsigned(SpecialType type)
        => type is SpecialType.System_Byte or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64;

    private static void WriteInvalidating(StringBuilder body, IMethodSymbol method, ReturnKind kind, AttributeData attribute, List<CachedMethod> cached, List<DiagnosticInfo> diagnostics)
    {
        var location = method.Locations.Length > 0 ? method.Locations[0] : null;
        string display = method.ToDisplayString();
        var keys = new StringBuilder();
        if (attribute.ConstructorArguments.Length > 0)
        {
            foreach (var value in attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array ? attribute.ConstructorArguments[0].Values : default)
            {
                string name = value.Value as string ?? "";
                AddKeys(keys, method, name, cached, diagnostics, location, display);
            }
        }

        string tags = "null";
        foreach (var named in attribute.NamedArguments)
        {
            if (named.Key == "Tags")
            {
                tags = StringArray(named.Value);
            }
        }

        bool isAsync = kind is ReturnKind.Task or ReturnKind.TaskOfT or ReturnKind.ValueTask or ReturnKind.ValueTaskOfT;
        if (isAsync)
        {
            foreach (var parameter in method.Parameters)
            {
                if (parameter.RefKind is RefKind.Ref or RefKind.Out)
                {
                    diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedParameter, location, display, $"parameter '{parameter.Name}' is {parameter.RefKind.ToString().ToLowerInvariant()} in an asynchronous [CacheInvalidate] method"));
                    return;
                }
            }
        }

        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedParameter, location, display, "it returns by reference"));
            return;
        }

        string keyArray = keys.Length == 0 ? "null" : $"new string[] {{ {keys}}}";
        string call = $"(({method.ContainingType.ToDisplayString(TypeFormat)})_inner).{method.Name}{TypeArguments(method)}({Arguments(method, null)})";

        // After the method succeeds; not on the caller's token: once the data changed the entries must go.
        body.Append("    ").Append(isAsync ? "async " : "").Append(Signature(method)).AppendLine().AppendLine("    {");
        switch (kind)
        {
            case ReturnKind.Void:
                body.Append("        ").Append(call).AppendLine(";");
                body.Append("        _cache.Invalidate(").Append(keyArray).Append(", ").Append(tags).AppendLine(");");
                break;
            case ReturnKind.Value:
                body.Append("        var __result = ").Append(call).AppendLine(";");
                body.Append("        _cache.Invalidate(").Append(keyArray).Append(", ").Append(tags).AppendLine(");");
                body.AppendLine("        return __result;");
                break;
            case ReturnKind.Task:
            case ReturnKind.ValueTask:
                body.Append("        await ").Append(call).AppendLine(".ConfigureAwait(false);");
                body.Append("        await _cache.InvalidateAsync(").Append(keyArray).Append(", ").Append(tags).AppendLine(").ConfigureAwait(false);");
                break;
            default:
                body.Append("        var __result = await ").Append(call).AppendLine(".ConfigureAwait(false);");
                body.Append("        await _cache.InvalidateAsync(").Append(keyArray).Append(", ").Append(tags).AppendLine(").ConfigureAwait(false);");
                body.AppendLine("        return __result;");
                break;
        }

        body.AppendLine("    }").AppendLine();
    }

    /// <summary>The keys of every overload named <paramref name="name"/> whose key parameters this method has (by name and type).</summary>
    private static void AddKeys(StringBuilder keys, IMethodSymbol method, string name, List<CachedMethod> cached, List<DiagnosticInfo> diagnostics, Location? location, string display)
    {
        DiagnosticInfo? missing = null;
        bool any = false;
        foreach (var entry in cached)
        {
            if (entry.Method.Name != name)
            {
                continue;
            }

            var arguments = new StringBuilder("_cache");
            bool complete = true;
            foreach (var needed in entry.KeyParameters)
            {
                IParameterSymbol? match = null;
                foreach (var parameter in method.Parameters)
                {
                    if (parameter.Name == needed.Name && parameter.RefKind is RefKind.None or RefKind.In or RefKind.RefReadOnlyParameter
                        && SymbolEqualityComparer.Default.Equals(parameter.Type, needed.Type))
                    {
                        match = parameter;
                    }
                }

                if (match is null)
                {
                    complete = false;
                    missing ??= DiagnosticInfo.Create(Diagnostics.MissingParameter, location, display, entry.Method.ToDisplayString(), needed.Name, needed.Type.ToDisplayString());
                    break;
                }

                arguments.Append(", ").Append(Name(match));
            }

            if (complete)
            {
                any = true;
                keys.Append("Key").Append(entry.Index).Append('(').Append(arguments).Append("), ");
            }
        }

        if (!any)
        {
            diagnostics.Add(missing ?? DiagnosticInfo.Create(Diagnostics.UnknownMethod, location, display, name, method.ContainingType.ToDisplayString()));
        }
    }

    private static void WriteProperty(StringBuilder body, IPropertySymbol property)
    {
        string target = $"(({property.ContainingType.ToDisplayString(TypeFormat)})_inner)";
        string prefix = property.ReturnsByRef || property.ReturnsByRefReadonly ? "ref " : "";
        string type = (property.ReturnsByRefReadonly ? "ref readonly " : prefix) + property.Type.ToDisplayString(TypeFormat);
        string owner = property.ContainingType.ToDisplayString(TypeFormat);
        string access;
        if (property.IsIndexer)
        {
            body.Append("    ").Append(type).Append(' ').Append(owner).Append(".this[").Append(Parameters(property.Parameters)).AppendLine("]");
            access = $"{target}[{Arguments(null, property.Parameters)}]";
        }
        else
        {
            body.Append("    ").Append(type).Append(' ').Append(owner).Append('.').Append(Escape(property.Name)).AppendLine();
            access = $"{target}.{Escape(property.Name)}";
        }

        body.AppendLine("    {");
        if (property.GetMethod is not null)
        {
            body.Append("        get => ").Append(prefix).Append(access).AppendLine(";");
        }

        if (property.SetMethod is { } setter)
        {
            body.Append("        ").Append(setter.IsInitOnly ? "init" : "set").Append(" => ").Append(access).AppendLine(" = value;");
        }

        body.AppendLine("    }").AppendLine();
    }

    private static void WriteEvent(StringBuilder body, IEventSymbol @event)
    {
        string target = $"(({@event.ContainingType.ToDisplayString(TypeFormat)})_inner)";
        body.Append("    event ").Append(@event.Type.ToDisplayString(TypeFormat)).Append(' ').Append(@event.ContainingType.ToDisplayString(TypeFormat)).Append('.').Append(Escape(@event.Name)).AppendLine()
            .AppendLine("    {")
            .Append("        add => ").Append(target).Append('.').Append(Escape(@event.Name)).AppendLine(" += value;")
            .Append("        remove => ").Append(target).Append('.').Append(Escape(@event.Name)).AppendLine(" -= value;")
            .AppendLine("    }").AppendLine();
    }

    private static string Signature(IMethodSymbol method)
    {
        string returns = method.ReturnsByRefReadonly ? "ref readonly " : method.ReturnsByRef ? "ref " : "";
        return $"{returns}{method.ReturnType.ToDisplayString(TypeFormat)} {method.ContainingType.ToDisplayString(TypeFormat)}.{Escape(method.Name)}{TypeParameters(method)}({Parameters(method.Parameters)})";
    }

    private static string TypeParameters(IMethodSymbol method)
    {
        if (!method.IsGenericMethod)
        {
            return "";
        }

        var text = new StringBuilder("<");
        foreach (var parameter in method.TypeParameters)
        {
            text.Append(text.Length == 1 ? "" : ", ").Append(Escape(parameter.Name));
        }

        return text.Append('>').ToString();
    }

    private static string TypeArguments(IMethodSymbol method) => TypeParameters(method);

    private static string Parameters(IEnumerable<IParameterSymbol> parameters)
    {
        var text = new StringBuilder();
        foreach (var parameter in parameters)
        {
            text.Append(text.Length == 0 ? "" : ", ");
            text.Append(parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In => "in ",
                RefKind.RefReadOnlyParameter => "ref readonly ",
                _ => "",
            });
            if (parameter.IsParams)
            {
                text.Append("params ");
            }

            text.Append(parameter.Type.ToDisplayString(TypeFormat)).Append(' ').Append(Name(parameter));
        }

        return text.ToString();
    }

    private static string Arguments(IMethodSymbol? method, IEnumerable<IParameterSymbol>? parameters)
    {
        var text = new StringBuilder();
        foreach (var parameter in parameters ?? method!.Parameters)
        {
            text.Append(text.Length == 0 ? "" : ", ");
            text.Append(parameter.RefKind switch
            {
                RefKind.Ref => "ref ",
                RefKind.Out => "out ",
                RefKind.In or RefKind.RefReadOnlyParameter => "in ",
                _ => "",
            });
            text.Append(Name(parameter));
        }

        return text.ToString();
    }

    private static string Name(IParameterSymbol parameter) => Escape(parameter.Name);

    private static string Escape(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name)
        {
            text.Append(char.IsLetterOrDigit(c) || c == '.' ? c : '_');
        }

        return text.ToString();
    }

    private static string Source(INamedTypeSymbol iface, List<CachedMethod> cached, string members)
    {
        string type = iface.ToDisplayString(TypeFormat);
        var text = new StringBuilder();
        text.AppendLine("// <auto-generated/> by Kv.AspNetCore.Generators: the [Cache] decorator of " + iface.ToDisplayString() + ".")
            .AppendLine("#nullable enable")
            .AppendLine("#pragma warning disable CS0612, CS0618 // obsolete members are forwarded as they are")
            .AppendLine()
            .AppendLine("namespace Kv.AspNetCore.Generated;")
            .AppendLine()
            .Append("file sealed class KvCachedDecorator : ").AppendLine(type)
            .AppendLine("{")
            .Append("    private readonly ").Append(type).AppendLine(" _inner;")
            .Append("    private readonly ").Append(Runtime).AppendLine("KvMethodCache _cache;");
        foreach (var entry in cached)
        {
            text.Append("    private readonly ").Append(Runtime).Append("KvCachedMethod<").Append(entry.Result.ToDisplayString(TypeFormat)).Append("> _m").Append(entry.Index).AppendLine(";");
        }

        text.AppendLine()
            .Append("    public KvCachedDecorator(").Append(type).Append(" inner, ").Append(Runtime).AppendLine("KvMethodCache cache)")
            .AppendLine("    {")
            .AppendLine("        _inner = inner;")
            .AppendLine("        _cache = cache;");
        foreach (var entry in cached)
        {
            text.Append("        _m").Append(entry.Index).Append(" = cache.Method<").Append(entry.Result.ToDisplayString(TypeFormat)).Append(">(")
                .Append(Literal(entry.Id)).Append(", ").Append(entry.Seconds).Append(", ").Append(entry.Tags).Append(", ")
                .Append("(global::Kv.AspNetCore.KvCacheNulls)").Append(entry.Nulls).AppendLine(");");
        }

        text.AppendLine("    }").AppendLine().Append(members).AppendLine("}").AppendLine()
            .AppendLine("file static class KvCachedRegistration")
            .AppendLine("{")
            .AppendLine("    [global::System.Runtime.CompilerServices.ModuleInitializer]")
            .AppendLine("    internal static void Register()")
            .AppendLine("    {")
            .Append("        ").Append(Runtime).Append("KvCachedServices.Register<").Append(type).AppendLine(">(")
            .Append("            static (inner, services) => new KvCachedDecorator(inner, global::Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<").Append(Runtime).AppendLine("KvMethodCache>(services)),");
        text.Append("            new ").Append(Runtime).AppendLine("KvCacheKeyFactory[]")
            .AppendLine("            {");
        foreach (var entry in cached)
        {
            text.Append("                new(").Append(Literal(entry.Method.Name)).Append(", new global::System.Type[] { ");
            foreach (var parameter in entry.KeyParameters)
            {
                text.Append("typeof(").Append(parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).Append("), ");
            }

            text.Append("}, static (cache, args) => KvCachedDecorator.Key").Append(entry.Index).Append("(cache");
            for (int i = 0; i < entry.KeyParameters.Count; i++)
            {
                text.Append(", (").Append(entry.KeyParameters[i].Type.ToDisplayString(TypeFormat)).Append(")args[").Append(i).Append("]!");
            }

            text.AppendLine(")),");
        }

        text.AppendLine("            });")
            .AppendLine("    }")
            .AppendLine("}");
        return text.ToString();
    }

    private sealed class CachedMethod(IMethodSymbol method, int index, string id, ITypeSymbol result, ReturnKind kind, List<IParameterSymbol> keyParameters, int seconds, string tags, int nulls)
    {
        public IMethodSymbol Method { get; } = method;

        public int Index { get; } = index;

        public string Id { get; } = id;

        public ITypeSymbol Result { get; } = result;

        public ReturnKind Kind { get; } = kind;

        public List<IParameterSymbol> KeyParameters { get; } = keyParameters;

        public int Seconds { get; } = seconds;

        public string Tags { get; } = tags;

        public int Nulls { get; } = nulls;
    }
}
