namespace WebShop.Catalog;

/// <summary>A product as the API shows it: the cached catalog entry and the live stock.</summary>
public sealed record ProductView(int Id, string Name, string Description, decimal Price, string Icon, long Stock)
{
    public static ProductView Of(Product product, long stock) => new(product.Id, product.Name, product.Description, product.Price, product.Icon, stock);
}

internal static class CatalogEndpoints
{
    public static void MapCatalog(this RouteGroupBuilder api)
    {
        api.MapGet("/products", async (IProductCatalog catalog, StockStore stock, CancellationToken ct) =>
        {
            var products = await catalog.GetProductsAsync(ct);
            var units = await stock.GetAsync(products);
            var views = new ProductView[products.Count];
            for (int i = 0; i < views.Length; i++)
            {
                views[i] = ProductView.Of(products[i], units[i]);
            }

            return TypedResults.Ok(views);
        });

        api.MapGet("/products/{id:int}", async Task<IResult> (int id, IProductCatalog catalog, StockStore stock, CancellationToken ct) =>
        {
            var product = await catalog.GetProductAsync(id, ct);
            return product is null
                ? Problems.NotFound($"There is no product {id}.")
                : TypedResults.Ok(ProductView.Of(product, await stock.GetAsync(id, ct)));
        });
    }
}
