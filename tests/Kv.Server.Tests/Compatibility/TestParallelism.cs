// The suite runs on 2-core CI machines next to in-process servers, redis-server, redis-benchmark
// and a `dotnet pack`: at most two test classes at a time keeps timing-sensitive comparisons (TTL
// tolerance) and the servers' own threads from starving.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass, MaxParallelThreads = 2)]
