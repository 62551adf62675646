using System.Collections.Concurrent;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Kv.AspNetCore.MethodCaching;

/// <summary>
/// The caching decorators the [Cache] source generator wrote, registered by each assembly's module
/// initializer, so <c>AddKvCaching</c> finds a service's decorator without reflection (trimming-safe).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KvCachedServices
{
    private static readonly ConcurrentDictionary<Type, KvCacheKeyFactory[]> s_keys = new();

    /// <summary>Registers <typeparamref name="TService"/>'s decorator (generated code calls this).</summary>
    /// <param name="factory">Wraps an instance in the decorator.</param>
    /// <param name="keys">Builds the keys of its [Cache] methods from boxed arguments, for <see cref="IKvMethodCache.InvalidateAsync{TService}"/>.</param>
    public static void Register<TService>(Func<TService, IServiceProvider, TService> factory, KvCacheKeyFactory[] keys)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(keys);
        Decorator<TService>.Factory = factory;
        s_keys[typeof(TService)] = keys;
    }

    /// <summary>The decorator's factory, or an exception that says how to get one generated.</summary>
    internal static Func<TService, IServiceProvider, TService> FactoryOf<TService>()
        where TService : class
    {
        Load<TService>();
        return Decorator<TService>.Factory ?? throw Missing(typeof(TService));
    }

    internal static KvCacheKeyFactory[] KeysOf<TService>()
        where TService : class
    {
        Load<TService>();
        return s_keys.TryGetValue(typeof(TService), out var keys) ? keys : throw Missing(typeof(TService));
    }

    // The registration runs in the module initializer of the interface's assembly, which the runtime
    // runs before any code of that module: not necessarily before typeof(TService) is taken elsewhere.
    private static void Load<TService>()
    {
        if (Decorator<TService>.Factory is null)
        {
            RuntimeHelpers.RunModuleConstructor(typeof(TService).Module.ModuleHandle);
        }
    }

    private static InvalidOperationException Missing(Type service) => new(
        $"No [Cache] decorator was generated for {service.FullName}. Put [Cache] (or [CacheInvalidate]) on methods of that interface, " +
        "and build its project with the Kv.AspNetCore source generator: it comes with the Kv.AspNetCore package; a project that references " +
        "Kv.AspNetCore's source also needs <ProjectReference Include=\"…/Kv.AspNetCore.Generators.csproj\" OutputItemType=\"Analyzer\" ReferenceOutputAssembly=\"false\" />. " +
        "Build warnings KVC001-KVC008 say why a decorator could not be generated.");

    private static class Decorator<TService>
    {
        public static Func<TService, IServiceProvider, TService>? Factory;
    }
}

/// <summary>Builds the key of one [Cache] method from boxed arguments (generated code makes these).</summary>
/// <param name="method">The method's name.</param>
/// <param name="parameters">The types of its key parameters (its parameters but cancellation tokens).</param>
/// <param name="key">Builds the key from arguments of those types.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class KvCacheKeyFactory(string method, Type[] parameters, Func<KvMethodCache, object?[], string> key)
{
    /// <summary>The method's name.</summary>
    public string Method { get; } = method;

    /// <summary>The types of its key parameters.</summary>
    public Type[] Parameters { get; } = parameters;

    /// <summary>Builds the key.</summary>
    public Func<KvMethodCache, object?[], string> Key { get; } = key;

    /// <summary>Whether <paramref name="arguments"/> fit the parameters (null fits a reference or Nullable type).</summary>
    internal bool Accepts(object?[] arguments)
    {
        if (arguments.Length != Parameters.Length)
        {
            return false;
        }

        for (int i = 0; i < arguments.Length; i++)
        {
            var type = Parameters[i];
            if (arguments[i] is null ? type.IsValueType && Nullable.GetUnderlyingType(type) is null : !type.IsInstanceOfType(arguments[i]) && Nullable.GetUnderlyingType(type)?.IsInstanceOfType(arguments[i]) != true)
            {
                return false;
            }
        }

        return true;
    }
}
