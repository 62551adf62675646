namespace WebShop.Catalog;

/// <summary>The real catalog: straight to the (slow) database. Callers get the cached decorator.</summary>
public sealed class ProductCatalog(ProductDatabase database) : IProductCatalog
{
    public Task<IReadOnlyList<Product>> GetProductsAsync(CancellationToken cancellationToken = default) => database.ReadAllAsync(cancellationToken);

    public Task<Product?> GetProductAsync(int id, CancellationToken cancellationToken = default) => database.ReadAsync(id, cancellationToken);
}
