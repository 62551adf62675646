using System.Net;
using System.Net.Http.Json;
using Kv.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using WebShop.Cart;
using WebShop.Catalog;
using WebShop.Orders;
using WebShop.Tests.Infrastructure;

namespace WebShop.Tests;

/// <summary>The shop's API driven over HTTP, on the embedded server and on a real redis-server.</summary>
public sealed class ShopTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task Catalog_reads_reach_the_slow_database_once(string server)
    {
        await using var shop = await fixture.StartShopAsync(server);
        var database = shop.Services.GetRequiredService<ProductDatabase>();
        var customer = shop.NewCustomer();

        var first = await customer.GetFromJsonAsync<ProductView[]>("/api/products");
        var second = await customer.GetFromJsonAsync<ProductView[]>("/api/products");
        Assert.Equal(1, database.Reads);
        Assert.Equal(8, first!.Length);
        Assert.Equal(first.Select(p => p.Name), second!.Select(p => p.Name));

        var mug = await customer.GetFromJsonAsync<ProductView>("/api/products/3");
        var again = await customer.GetFromJsonAsync<ProductView>("/api/products/3");
        Assert.Equal(2, database.Reads);
        Assert.Equal("Ceramic mug", mug!.Name);
        Assert.Equal(80, again!.Stock);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task Cart_lives_in_the_session_cookie(string server)
    {
        await using var shop = await fixture.StartShopAsync(server);
        var alice = shop.NewCustomer();
        var bob = shop.NewCustomer();

        await AddAsync(alice, productId: 1, quantity: 2);
        await AddAsync(alice, productId: 1, quantity: 1);
        var cart = await AddAsync(alice, productId: 8, quantity: 4);
        Assert.Equal([(1, 3), (8, 4)], cart.Lines.Select(l => (l.ProductId, l.Quantity)));
        Assert.Equal(7, cart.Items);
        Assert.Equal(3 * 18.90m + 4 * 3.80m, cart.Total);

        Assert.Equal(cart.Total, (await alice.GetFromJsonAsync<CartView>("/api/cart"))!.Total);
        Assert.Empty((await bob.GetFromJsonAsync<CartView>("/api/cart"))!.Lines);

        using var removed = await alice.DeleteAsync("/api/cart/items/1");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        var left = await alice.GetFromJsonAsync<CartView>("/api/cart");
        Assert.Equal([8], left!.Lines.Select(l => l.ProductId));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task Checkout_places_an_order_takes_stock_once_and_ranks_best_sellers(string server)
    {
        await using var shop = await fixture.StartShopAsync(server);
        var alice = shop.NewCustomer();
        var bob = shop.NewCustomer();

        await AddAsync(alice, productId: 4, quantity: 2);
        await AddAsync(alice, productId: 8, quantity: 1);
        var order = await CheckOutAsync(alice);
        Assert.True(order.FencingToken > 0);
        Assert.Equal(3, order.Items);
        Assert.Equal(2 * 89.00m + 3.80m, order.Total);
        Assert.Equal(order, await alice.GetFromJsonAsync<Order>($"/api/orders/{order.Id}"), OrderComparer.Instance);

        Assert.Equal(8, await StockAsync(alice, 4));
        Assert.Equal(149, await StockAsync(alice, 8));
        Assert.Empty((await alice.GetFromJsonAsync<CartView>("/api/cart"))!.Lines);

        await AddAsync(bob, productId: 8, quantity: 5);
        var second = await CheckOutAsync(bob);
        Assert.True(second.Id > order.Id);
        Assert.True(second.FencingToken > 0);

        var board = await alice.GetFromJsonAsync<BestSeller[]>("/api/leaderboard?top=10");
        Assert.Equal([(8, "Dark chocolate", 6L, 1L), (4, "Burr grinder", 2L, 2L)], board!.Select(b => (b.ProductId, b.Name, b.UnitsSold, b.Rank)));
        Assert.Single((await alice.GetFromJsonAsync<BestSeller[]>("/api/leaderboard?top=1"))!);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task Two_concurrent_checkouts_of_one_cart_make_one_order(string server)
    {
        await using var shop = await fixture.StartShopAsync(server);
        var alice = shop.NewCustomer();
        await AddAsync(alice, productId: 2, quantity: 3);

        // A cold catalog keeps the first checkout under the lock for the database's 50 ms, so the second
        // (whose session, still holding the cart, loads in one round trip) meets the held lock.
        await shop.Services.GetRequiredService<IKvMethodCache>().InvalidateTagAsync("products");
        var responses = await Task.WhenAll(alice.PostAsync("/api/checkout", null), alice.PostAsync("/api/checkout", null));
        try
        {
            Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
            var conflict = responses.Single(r => r.StatusCode == HttpStatusCode.Conflict);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }

        Assert.Equal(17, await StockAsync(alice, 2));
        var board = await alice.GetFromJsonAsync<BestSeller[]>("/api/leaderboard");
        Assert.Equal(3, board!.Single().UnitsSold);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task Checkout_refuses_more_than_the_stock_and_takes_nothing(string server)
    {
        await using var shop = await fixture.StartShopAsync(server);
        var alice = shop.NewCustomer();
        await AddAsync(alice, productId: 1, quantity: 5);
        await AddAsync(alice, productId: 4, quantity: 11); // 10 in stock

        using var refused = await alice.PostAsync("/api/checkout", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Burr grinder", await refused.Content.ReadAsStringAsync());
        Assert.Equal(50, await StockAsync(alice, 1));
        Assert.Equal(10, await StockAsync(alice, 4));
        Assert.Equal(2, (await alice.GetFromJsonAsync<CartView>("/api/cart"))!.Lines.Count);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task Health_and_home_page(string server)
    {
        await using var shop = await fixture.StartShopAsync(server);
        var customer = shop.NewCustomer();

        using var health = await customer.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());

        using var home = await customer.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, home.StatusCode);
        Assert.Equal("text/html", home.Content.Headers.ContentType?.MediaType);
        string html = await home.Content.ReadAsStringAsync();
        Assert.Contains("id=\"products\"", html);
        Assert.Contains("data-test=\"checkout\"", html);
        using var script = await customer.GetAsync("/app.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    internal static async Task<CartView> AddAsync(HttpClient client, int productId, int quantity)
    {
        using var response = await client.PostAsJsonAsync("/api/cart/items", new AddCartItem(productId, quantity));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CartView>())!;
    }

    private static async Task<Order> CheckOutAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/api/checkout", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var order = (await response.Content.ReadFromJsonAsync<Order>())!;
        Assert.Equal($"/api/orders/{order.Id}", response.Headers.Location?.OriginalString);
        return order;
    }

    private static async Task<long> StockAsync(HttpClient client, int productId)
        => (await client.GetFromJsonAsync<ProductView>($"/api/products/{productId}"))!.Stock;

    /// <summary>Orders by value: records compare their line lists by reference.</summary>
    private sealed class OrderComparer : IEqualityComparer<Order?>
    {
        public static readonly OrderComparer Instance = new();

        public bool Equals(Order? x, Order? y)
            => x is not null && y is not null && x.Id == y.Id && x.FencingToken == y.FencingToken && x.Total == y.Total && x.Lines.SequenceEqual(y.Lines);

        public int GetHashCode(Order? obj) => obj?.Id.GetHashCode() ?? 0;
    }
}
