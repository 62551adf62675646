using System.Text.Json;
using WebShop.Tests.Browser;
using WebShop.Tests.Infrastructure;

namespace WebShop.Tests;

/// <summary>The shop's page in headless Chromium: what a shopper clicks and sees, against the embedded server.</summary>
public sealed class BrowserTests
{
    [ChromiumFact]
    public async Task Shopper_adds_to_the_cart_checks_out_and_sees_the_best_sellers_change()
    {
        await using var shop = await ShopServer.StartAsync();
        await using var browser = await HeadlessChromium.LaunchAsync();

        await browser.NavigateAsync(shop.BaseAddress);

        // The page loads products, cart and best sellers at once. A click before the empty cart has come
        // back would race it (its late render would hide the line added), so wait until all three are in.
        await browser.WaitForAsync(
            """
            (() => {
              const loaded = performance.getEntriesByType('resource').map(e => new URL(e.name).pathname);
              return ['/api/products', '/api/cart', '/api/leaderboard'].every(p => loaded.includes(p))
                && document.getElementById('products').getAttribute('aria-busy') === 'false';
            })()
            """);
        Assert.Equal(8, (await browser.EvaluateAsync("document.querySelectorAll('#products [data-test=product]').length")).GetInt32());
        Assert.Equal("50 in stock", await TextAsync(browser, "#product-1 .stock"));
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('#best-sellers li').length")).GetInt32());

        // Each click waits for the cart it produced, so the session sees one change at a time.
        await browser.ClickAsync("add-1");
        await WaitForLinesAsync(browser, "1:1 × €18.90");
        await browser.ClickAsync("add-1");
        await WaitForLinesAsync(browser, "1:2 × €18.90");
        await browser.ClickAsync("add-8");
        await WaitForLinesAsync(browser, "1:2 × €18.90|8:1 × €3.80");
        Assert.Equal("€41.60", await TextAsync(browser, "#cart-total"));
        Assert.Equal("3", await TextAsync(browser, "#cart-count"));
        Assert.True((await browser.EvaluateAsync("document.getElementById('cart-empty').hidden")).GetBoolean());

        await browser.ClickAsync("checkout");
        string orderId = (await browser.WaitForAsync("document.getElementById('message').dataset.orderId")).GetString()!;
        Assert.True(long.TryParse(orderId, out long id) && id > 0, $"order id '{orderId}'");
        Assert.Equal($"Thank you! Order #{orderId} placed: 3 item(s), €41.60.", await TextAsync(browser, "#message"));
        Assert.Equal("message ok", await TextAsync(browser, "#message", "className"));

        // After checkout the page reloads cart, products and best sellers together.
        var best = await browser.WaitForAsync(
            "(() => { const rows = [...document.querySelectorAll('#best-sellers li')].map(li => li.textContent); return rows.length ? rows : null; })()");
        Assert.Equal(["Espresso beans2 sold", "Dark chocolate1 sold"], best.EnumerateArray().Select(e => e.GetString()));
        await browser.WaitForAsync("document.querySelectorAll('#cart-lines li').length === 0 && document.getElementById('checkout').disabled");
        Assert.Equal("€0.00", await TextAsync(browser, "#cart-total"));
        await browser.WaitForAsync("document.querySelector('#product-1 .stock').textContent === '48 in stock'");
    }

    /// <summary>Waits until the cart panel lists exactly <paramref name="expected"/>: "productId:quantity text" lines joined by '|'.</summary>
    private static Task<JsonElement> WaitForLinesAsync(HeadlessChromium browser, string expected)
        => browser.WaitForAsync(
            "[...document.querySelectorAll('#cart-lines [data-test=cart-line]')].map(li => li.dataset.productId + ':' + li.querySelector('.qty').textContent).join('|')",
            lines => lines.GetString() == expected);

    private static async Task<string?> TextAsync(HeadlessChromium browser, string selector, string property = "textContent")
        => (await browser.EvaluateAsync($"document.querySelector({JsonSerializer.Serialize(selector)}).{property}")).GetString();
}
