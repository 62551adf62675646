using Kv.Client;

namespace WebShop.Catalog;

/// <summary>
/// Units in stock, one field per product in the hash <c>shop:stock</c>. Seeded once (HSETNX keeps what a
/// previous run left); checkout takes units in <see cref="Orders.CheckoutService"/>'s script.
/// </summary>
public sealed class StockStore(KvClient kv)
{
    public const string Key = "shop:stock";

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var product in ProductDatabase.Seed)
        {
            await kv.HSetNxAsync(Key, product.Id, product.InitialStock, cancellationToken);
        }
    }

    public async Task<long> GetAsync(int productId, CancellationToken cancellationToken)
    {
        var value = await kv.HGetAsync(Key, productId, cancellationToken);
        return value.IsNull ? 0 : long.Parse(value.ToString());
    }

    /// <summary>The stock of each product, in the order given, in one HMGET.</summary>
    public async Task<long[]> GetAsync(IReadOnlyList<Product> products)
    {
        var fields = new KvValue[products.Count];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = products[i].Id;
        }

        var values = await kv.HMGetAsync(Key, fields);
        var stock = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            stock[i] = values[i].IsNull ? 0 : long.Parse(values[i].ToString());
        }

        return stock;
    }
}

/// <summary>Seeds the stock when the app starts (after the embedded server, registered before it).</summary>
internal sealed class StockSeeder(StockStore stock) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => stock.SeedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
