using BenchmarkDotNet.Running;

namespace Kv.Benchmarks;

/// <summary>dotnet run -c Release --project benchmarks/Kv.Benchmarks -- --filter '*'</summary>
public static class BenchmarkProgram
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
}
