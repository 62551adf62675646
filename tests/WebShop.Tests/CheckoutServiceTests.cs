using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using WebShop.Catalog;
using WebShop.Orders;
using WebShop.Tests.Infrastructure;

namespace WebShop.Tests;

/// <summary>Checkout below HTTP, for what two requests cannot be made to do on cue.</summary>
public sealed class CheckoutServiceTests
{
    [Fact]
    public async Task A_cart_loaded_before_its_checkout_finished_is_not_checked_out_again()
    {
        await using var shop = await ShopServer.StartAsync();
        var cart = new Cart.Cart();
        cart.TryAdd(productId: 6, quantity: 2);

        // Two requests of one session that both loaded the cart before either checked it out.
        var first = new MemorySession("session-1");
        var stale = new MemorySession("session-1");
        cart.Save(first);
        cart.Save(stale);

        var placed = await CheckOutAsync(shop, first);
        Assert.NotNull(placed.Order);
        Assert.Null(first.GetString("cart"));

        var again = await CheckOutAsync(shop, stale);
        Assert.Null(again.Order);
        Assert.Equal(StatusCodes.Status409Conflict, again.Status);
        Assert.Equal(28, await shop.Services.GetRequiredService<StockStore>().GetAsync(6, CancellationToken.None));
    }

    private static async Task<CheckoutResult> CheckOutAsync(ShopServer shop, ISession session)
    {
        await using var scope = shop.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CheckoutService>().CheckOutAsync(session, CancellationToken.None);
    }

    private sealed class MemorySession(string id) : ISession
    {
        private readonly Dictionary<string, byte[]> _values = [];

        public bool IsAvailable => true;

        public string Id => id;

        public IEnumerable<string> Keys => _values.Keys;

        public void Clear() => _values.Clear();

        public Task CommitAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task LoadAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

        public void Remove(string key) => _values.Remove(key);

        public void Set(string key, byte[] value) => _values[key] = value;

        public bool TryGetValue(string key, [NotNullWhen(true)] out byte[]? value) => _values.TryGetValue(key, out value);
    }
}
