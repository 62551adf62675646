namespace WebShop.Catalog;

/// <summary>
/// Stands in for a product database: every read takes about 50 ms and is counted, so the tests can see
/// how often the cache let a call through.
/// </summary>
public sealed class ProductDatabase
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(50);

    private static readonly Product[] Products =
    [
        new(1, "Espresso beans", "Dark roast, 1 kg bag, notes of cocoa and hazelnut.", 18.90m, "☕", 50),
        new(2, "Pour-over kettle", "Gooseneck kettle, 1 l, stainless steel.", 39.00m, "🫖", 20),
        new(3, "Ceramic mug", "Hand-glazed, 350 ml, dishwasher safe.", 12.50m, "🍵", 80),
        new(4, "Burr grinder", "Conical burrs, 40 grind settings.", 89.00m, "⚙️", 10),
        new(5, "Paper filters", "Pack of 100, unbleached.", 4.90m, "📄", 200),
        new(6, "Milk frother", "Hand-held, rechargeable.", 24.00m, "🥛", 30),
        new(7, "Tea sampler", "Eight loose-leaf teas in tins.", 29.50m, "🌿", 25),
        new(8, "Dark chocolate", "70% cocoa, 100 g bar.", 3.80m, "🍫", 150),
    ];

    private int _reads;

    /// <summary>Reads that reached the database so far.</summary>
    public int Reads => Volatile.Read(ref _reads);

    /// <summary>Every product, without delay: the seed of the stock (not a catalog read).</summary>
    public static IReadOnlyList<Product> Seed => Products;

    public async Task<IReadOnlyList<Product>> ReadAllAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        await Task.Delay(Latency, cancellationToken);
        return Products;
    }

    public async Task<Product?> ReadAsync(int id, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        await Task.Delay(Latency, cancellationToken);
        foreach (var product in Products)
        {
            if (product.Id == id)
            {
                return product;
            }
        }

        return null;
    }
}
