using System.Net;
using System.Net.Http.Json;
using WebShop.Orders;
using WebShop.Tests.Infrastructure;

namespace WebShop.Tests;

public sealed class RateLimitAndRestartTests
{
    [Fact]
    public async Task Api_is_rate_limited_per_client_from_configuration()
    {
        await using var shop = await ShopServer.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Kv:RateLimiting:Policies:api:PermitLimit"] = "3",
            ["Kv:RateLimiting:Policies:api:Window"] = "00:01:00",
        });
        var client = shop.NewCustomer();
        for (int i = 0; i < 3; i++)
        {
            using var granted = await client.GetAsync("/api/cart");
            Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
            Assert.Equal($"\"api\";r={2 - i};t=60", string.Join(", ", granted.Headers.GetValues("RateLimit")));
        }

        using var refused = await client.GetAsync("/api/products");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        int retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal("\"api\";q=3;w=60", string.Join(", ", refused.Headers.GetValues("RateLimit-Policy")));
        Assert.StartsWith("\"api\";r=0;", string.Join(", ", refused.Headers.GetValues("RateLimit")));
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        // Not under /api: the page and the health check stay reachable.
        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Carts_stock_and_best_sellers_survive_a_restart_of_the_embedded_server()
    {
        string contentRoot = Directory.CreateTempSubdirectory("webshop-restart-").FullName;
        var cookies = new CookieContainer();
        try
        {
            await using (var shop = await ShopServer.StartAsync(contentRoot: contentRoot))
            {
                var alice = shop.NewCustomer(cookies);
                await ShopTests.AddAsync(alice, productId: 7, quantity: 2);
                using var checkout = await alice.PostAsync("/api/checkout", null);
                Assert.Equal(HttpStatusCode.Created, checkout.StatusCode);
                await ShopTests.AddAsync(alice, productId: 3, quantity: 1);
            }

            await using (var shop = await ShopServer.StartAsync(contentRoot: contentRoot))
            {
                var alice = shop.NewCustomer(cookies);
                var cart = await alice.GetFromJsonAsync<Cart.CartView>("/api/cart");
                Assert.Equal([3], cart!.Lines.Select(l => l.ProductId));
                var board = await alice.GetFromJsonAsync<BestSeller[]>("/api/leaderboard");
                var best = Assert.Single(board!);
                Assert.Equal((7, 2L), (best.ProductId, best.UnitsSold));
                Assert.Equal(23, (await alice.GetFromJsonAsync<Catalog.ProductView>("/api/products/7"))!.Stock);
            }
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }
}
