using System.Net;
using System.Net.Http.Json;
using System.Text;
using WebShop.Tests.Infrastructure;

namespace WebShop.Tests;

/// <summary>Every bad request is a 4xx with a problem-details body, never a 500.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private ShopServer _shop = null!;

    public async Task InitializeAsync() => _shop = await ShopServer.StartAsync();

    public async Task DisposeAsync() => await _shop.DisposeAsync();

    [Theory]
    [InlineData("{ \"productId\": 999, \"quantity\": 1 }", HttpStatusCode.NotFound)]
    [InlineData("{ \"productId\": 1, \"quantity\": 0 }", HttpStatusCode.BadRequest)]
    [InlineData("{ \"productId\": 1, \"quantity\": -3 }", HttpStatusCode.BadRequest)]
    [InlineData("{ \"productId\": 1, \"quantity\": 1000000 }", HttpStatusCode.BadRequest)]
    [InlineData("{ \"productId\": 1, \"quantity\": 99999999999999 }", HttpStatusCode.BadRequest)]
    [InlineData("{ \"productId\": \"one\", \"quantity\": 1 }", HttpStatusCode.BadRequest)]
    [InlineData("{ \"productId\": 1, ", HttpStatusCode.BadRequest)]
    [InlineData("not json", HttpStatusCode.BadRequest)]
    [InlineData("null", HttpStatusCode.BadRequest)]
    [InlineData("", HttpStatusCode.BadRequest)]
    public async Task Adding_to_the_cart(string body, HttpStatusCode expected)
    {
        var client = _shop.NewCustomer();
        using var response = await client.PostAsync("/api/cart/items", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(response, expected);

        // Every refusal says why (a malformed body included: the binding error's message).
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), problem.ToString());
    }

    [Fact]
    public async Task More_than_99_of_one_product()
    {
        var client = _shop.NewCustomer();
        await ShopTests.AddAsync(client, productId: 5, quantity: 60);
        using var response = await client.PostAsJsonAsync("/api/cart/items", new { productId = 5, quantity = 40 });
        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("GET", "/api/products/999", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/products/abc", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/api/cart/items/1", HttpStatusCode.NotFound)]
    [InlineData("POST", "/api/checkout", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/leaderboard?top=0", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/leaderboard?top=100000", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/leaderboard?top=ten", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/api/orders/424242", HttpStatusCode.NotFound)]
    public async Task Other_requests(string method, string path, HttpStatusCode expected)
    {
        var client = _shop.NewCustomer();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertProblemAsync(response, expected);
    }

    private static async Task<System.Text.Json.JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
