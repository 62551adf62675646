namespace WebShop.Orders;

/// <summary>A placed order. <paramref name="FencingToken"/> is the checkout lock's token the order was written under.</summary>
public sealed record Order(long Id, long FencingToken, IReadOnlyList<Cart.CartLineView> Lines, int Items, decimal Total, DateTimeOffset PlacedAt);
