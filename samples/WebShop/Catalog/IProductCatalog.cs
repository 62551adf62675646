using Kv.AspNetCore;

namespace WebShop.Catalog;

/// <summary>
/// The catalog. Kv's source generator writes a decorator that answers these methods from the Kv cache,
/// so only the first call of each (per minute) reaches the slow database behind <see cref="ProductCatalog"/>.
/// </summary>
public interface IProductCatalog
{
    [Cache(Seconds = 60, Tags = ["products"])]
    Task<IReadOnlyList<Product>> GetProductsAsync(CancellationToken cancellationToken = default);

    [Cache(Seconds = 60, Tags = ["products"])]
    Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default);
}
