using System.Text.Json;
using Kv.AspNetCore.Leaderboards;
using Kv.Client;
using Kv.Locks;
using WebShop.Catalog;

namespace WebShop.Orders;

/// <summary>
/// Turns a session's cart into an order: under a lock per session (a second checkout of the same cart
/// meanwhile is refused, not queued), stock taken in one script, the best-sellers board updated.
/// </summary>
public sealed class CheckoutService(KvClient kv, IDistributedLockProvider locks, IProductCatalog catalog, [FromKeyedServices(CheckoutService.Board)] ILeaderboard bestSellers)
{
    /// <summary>The leaderboard of units sold per product.</summary>
    public const string Board = "best-sellers";

    // One script, so the stock check and the decrements cannot interleave with another checkout.
    // The lock's fencing token must be newer than any that wrote before (a holder that paused past its
    // lease is refused), and a cart id is checked out once (a request that loaded the session before
    // another emptied it still sees the old cart).
    // KEYS: stock hash, cart's checkout marker, order sequence, lock's last fence. ARGV: fencing token, then product id, quantity pairs.
    // Returns the new order id; 0 when the cart was checked out already (or the token is stale); -n when the n-th product lacks stock.
    private static readonly KvScript TakeStock = new("""
        local fence = tonumber(redis.call('GET', KEYS[4]) or '0')
        if fence >= tonumber(ARGV[1]) or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        for i = 2, #ARGV, 2 do
          if tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0') < tonumber(ARGV[i + 1]) then return -(i / 2) end
        end
        for i = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1])) end
        redis.call('SET', KEYS[4], ARGV[1])
        local id = redis.call('INCR', KEYS[3])
        redis.call('SET', KEYS[2], id, 'EX', 86400)
        return id
        """);

    public async Task<CheckoutResult> CheckOutAsync(ISession session, CancellationToken cancellationToken)
    {
        var cart = Cart.Cart.Load(session);
        if (cart.Lines.Count == 0)
        {
            return CheckoutResult.Fail(StatusCodes.Status400BadRequest, "The cart is empty.");
        }

        string lockName = "checkout:" + session.Id;
        await using var handle = await locks.TryAcquireAsync(lockName, cancellationToken);
        if (handle is null)
        {
            return CheckoutResult.Fail(StatusCodes.Status409Conflict, "This cart is being checked out by another request.");
        }

        var view = await Cart.CartEndpoints.ViewAsync(cart, catalog, cancellationToken);
        var args = new KvValue[1 + 2 * cart.Lines.Count];
        args[0] = handle.FencingToken;
        for (int i = 0; i < cart.Lines.Count; i++)
        {
            args[1 + 2 * i] = cart.Lines[i].ProductId;
            args[2 + 2 * i] = cart.Lines[i].Quantity;
        }

        KvKey[] keys = [StockStore.Key, "shop:checked-out:" + cart.Id, "shop:order-seq", "shop:fence:" + lockName];
        long id = (await kv.EvalAsync(TakeStock, keys, args, cancellationToken)).AsInt64();
        if (id == 0)
        {
            Cart.Cart.Clear(session);
            return CheckoutResult.Fail(StatusCodes.Status409Conflict, "This cart has been checked out already.");
        }

        if (id < 0)
        {
            var line = cart.Lines[(int)(-id - 1)];
            var product = await catalog.GetProductAsync(line.ProductId, cancellationToken);
            return CheckoutResult.Fail(StatusCodes.Status409Conflict, $"Not enough {product?.Name ?? "units"} in stock for {line.Quantity}.");
        }

        var order = new Order(id, handle.FencingToken, view.Lines, view.Items, view.Total, DateTimeOffset.UtcNow);
        await kv.SetAsync("shop:order:" + id, JsonSerializer.Serialize(order), cancellationToken: cancellationToken);
        foreach (var sold in view.Lines)
        {
            string member = sold.ProductId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await bestSellers.IncrementAsync(member, sold.Quantity, cancellationToken);
            await bestSellers.SetMemberDataAsync(member, sold.Name, cancellationToken);
        }

        Cart.Cart.Clear(session);
        return new CheckoutResult(order, StatusCodes.Status201Created, null);
    }
}

/// <summary>An order, or the status and reason of a refusal.</summary>
public sealed record CheckoutResult(Order? Order, int Status, string? Problem)
{
    public static CheckoutResult Fail(int status, string problem) => new(null, status, problem);
}
