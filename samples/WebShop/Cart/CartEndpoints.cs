using WebShop.Catalog;

namespace WebShop.Cart;

/// <summary>The body of <c>POST /api/cart/items</c>.</summary>
public sealed record AddCartItem(int ProductId, int Quantity);

/// <summary>A cart line as the API shows it.</summary>
public sealed record CartLineView(int ProductId, string Name, string Icon, decimal Price, int Quantity, decimal LineTotal);

/// <summary>The cart as the API shows it.</summary>
public sealed record CartView(IReadOnlyList<CartLineView> Lines, int Items, decimal Total);

internal static class CartEndpoints
{
    public static void MapCart(this RouteGroupBuilder api)
    {
        api.MapGet("/cart", (HttpContext context, IProductCatalog catalog) => ViewAsync(Cart.Load(context.Session), catalog, context.RequestAborted));

        api.MapPost("/cart/items", async Task<IResult> (AddCartItem? item, HttpContext context, IProductCatalog catalog) =>
        {
            if (item is null)
            {
                return Problems.BadRequest("The body must be JSON: { \"productId\": 1, \"quantity\": 2 }.");
            }

            if (item.Quantity is < 1 or > Cart.MaxQuantity)
            {
                return Problems.BadRequest($"Quantity must be between 1 and {Cart.MaxQuantity}.");
            }

            if (await catalog.GetProductAsync(item.ProductId, context.RequestAborted) is null)
            {
                return Problems.NotFound($"There is no product {item.ProductId}.");
            }

            var cart = Cart.Load(context.Session);
            if (!cart.TryAdd(item.ProductId, item.Quantity))
            {
                return Problems.BadRequest($"A cart holds at most {Cart.MaxQuantity} of one product.");
            }

            cart.Save(context.Session);
            return TypedResults.Ok(await ViewAsync(cart, catalog, context.RequestAborted));
        });

        api.MapDelete("/cart/items/{productId:int}", async Task<IResult> (int productId, HttpContext context, IProductCatalog catalog) =>
        {
            var cart = Cart.Load(context.Session);
            if (!cart.Remove(productId))
            {
                return Problems.NotFound($"Product {productId} is not in the cart.");
            }

            cart.Save(context.Session);
            return TypedResults.Ok(await ViewAsync(cart, catalog, context.RequestAborted));
        });
    }

    public static async Task<CartView> ViewAsync(Cart cart, IProductCatalog catalog, CancellationToken cancellationToken)
    {
        var lines = new List<CartLineView>(cart.Lines.Count);
        int items = 0;
        decimal total = 0;
        foreach (var line in cart.Lines)
        {
            // Each lookup is a cache hit after the first: the catalog is the one place names and prices live.
            var product = await catalog.GetProductAsync(line.ProductId, cancellationToken);
            if (product is null)
            {
                continue;
            }

            decimal lineTotal = product.Price * line.Quantity;
            lines.Add(new CartLineView(product.Id, product.Name, product.Icon, product.Price, line.Quantity, lineTotal));
            items += line.Quantity;
            total += lineTotal;
        }

        return new CartView(lines, items, total);
    }
}
