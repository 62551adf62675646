using System.Collections.Immutable;
using Kv.AspNetCore.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kv.AspNetCore.Tests.MethodCaching;

/// <summary>The [Cache] source generator on snippets: the code it writes compiles without warnings; unsupported shapes get their diagnostic.</summary>
public sealed class CacheGeneratorTests
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
    {
        // The test host's own assemblies: the shared frameworks (Microsoft.Extensions.*) and Kv.AspNetCore.
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = new List<MetadataReference>();
        foreach (string path in paths)
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft.Extensions", StringComparison.Ordinal)
                || name is "mscorlib" or "netstandard" or "Kv.AspNetCore" or "Kv.Client")
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }

        return references.ToArray();
    });

    [Fact]
    public void TheDecoratorOfEveryShapeCompilesWithoutWarnings()
    {
        var (generator, compiled, sources) = Run("""
            using System;
            using System.Collections.Generic;
            using System.Threading;
            using System.Threading.Tasks;
            using Kv.AspNetCore;

            namespace Shop;

            public enum Color : byte { Red, Blue }
            public sealed record Query(string Text, int[] Ids);

            public interface IBase
            {
                [Cache(Seconds = 60)]
                Task<string> BaseAsync(int id);
                void Ping();
            }

            public interface ICatalog : IBase
            {
                string Name { get; set; }
                int this[int index] { get; }
                event EventHandler? Changed;

                [Cache(Seconds = 600, Tags = new[] { "products" }, Nulls = KvCacheNulls.Skip)]
                Task<Query?> FindAsync(int id, string? name, CancellationToken cancellationToken = default);
                [Cache] ValueTask<List<int>> ListAsync(Color color, DateTime? since, Guid tenant, Query query);
                [Cache] int Count(long @class, decimal price, DateTimeOffset at, TimeSpan span, char c, bool flag, double d, float f, uint u, DateOnly day, TimeOnly time, Color? maybe);
                [Cache] Task<string> Overload(int id);
                [Cache] Task<string> Overload(string id);
                [Cache] Task<int> ManyArgumentsAsync(int a, int b, int c, int d, int e, int f, int g, int h, int i);

                [CacheInvalidate(nameof(FindAsync), nameof(Overload), Tags = new[] { "products" })]
                Task UpdateAsync(int id, string? name);
                [CacheInvalidate(nameof(Count))]
                void Recount(long @class, decimal price, DateTimeOffset at, TimeSpan span, char c, bool flag, double d, float f, uint u, DateOnly day, TimeOnly time, Color? maybe);
                [CacheInvalidate(Tags = new[] { "products" })]
                Task<int> ClearAsync();
                [CacheInvalidate(nameof(BaseAsync))]
                ValueTask<bool> TouchAsync(int id);
                [CacheInvalidate(nameof(Overload))]
                string Rename(string id);

                void Swap(ref int a, out int b, in int c);
                T Echo<T>(T value) where T : class;
                Task PlainAsync(params int[] values);
            }
            """);

        Assert.Empty(generator);
        Assert.Equal(2, sources.Length); // IBase's decorator and ICatalog's (which covers IBase's members too)
        Assert.Empty(compiled.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }

    [Fact]
    public void UnsupportedShapesAreReportedWithWhatToDo()
    {
        var (generator, _, sources) = Run("""
            using System.Threading.Tasks;
            using Kv.AspNetCore;

            public class Service
            {
                [Cache] public virtual Task<int> OnAClassAsync() => Task.FromResult(1);
            }

            public interface IShapes
            {
                [Cache] Task NothingAsync();
                [Cache] void Nothing();
                [Cache] int ByRef(ref int id);
                [Cache] T Generic<T>(int id);
                [Cache(Seconds = -1)] int Negative(int id);
                [Cache] int Get(int id);
                [CacheInvalidate("Missing")] Task UnknownAsync(int id);
                [CacheInvalidate(nameof(Get))] Task WrongNameAsync(int productId);
                [CacheInvalidate(nameof(Get))] Task WrongTypeAsync(long id);
            }

            public class Outer
            {
                private interface IHidden
                {
                    [Cache] int Get(int id);
                }
            }

            public interface IGeneric<T>
            {
                [Cache] int Get(int id);
            }
            """);

        string[] ids = generator.Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["KVC001", "KVC002", "KVC002", "KVC003", "KVC004", "KVC005", "KVC006", "KVC006", "KVC007", "KVC007", "KVC008"], ids);
        Assert.All(generator, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        Assert.All(generator, d => Assert.NotEqual(Location.None, d.Location));
        var unknown = generator.Single(d => d.Id == "KVC005");
        Assert.Contains("'Missing'", unknown.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var wrong = generator.First(d => d.Id == "KVC006");
        Assert.Contains("parameter 'id' of type int", wrong.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        // An interface with an error gets no decorator (AddKvCaching then says there is none).
        Assert.Empty(sources);
    }

    [Fact]
    public void ResultsAreReusedWhenAnUnrelatedFileChanges()
    {
        var tree = CSharpSyntaxTree.ParseText("""
            using System.Threading.Tasks;
            using Kv.AspNetCore;
            public interface ICatalog { [Cache] Task<int> GetAsync(int id); }
            """, new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = Compilation(tree);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new CacheGenerator().AsSourceGenerator()], driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Unrelated { }", new CSharpParseOptions(LanguageVersion.Latest))));
        var outputs = driver.GetRunResult().Results[0].TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    private static (ImmutableArray<Diagnostic> Generator, ImmutableArray<Diagnostic> Compiled, string[] Sources) Run(string source)
    {
        var compilation = Compilation(CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest), path: "Snippet.cs"));
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("KVC", StringComparison.Ordinal)));
        var driver = CSharpGeneratorDriver.Create(new CacheGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        var sources = driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()).ToArray();
        return (diagnostics, output.GetDiagnostics(), sources);
    }

    private static CSharpCompilation Compilation(SyntaxTree tree) => CSharpCompilation.Create(
        "Snippet",
        [tree],
        References.Value,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
}
