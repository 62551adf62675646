using System.Text.Json;
using Kv.AspNetCore.Leaderboards;
using Kv.Client;

namespace WebShop.Orders;

/// <summary>A row of the best-sellers board.</summary>
public sealed record BestSeller(int ProductId, string? Name, long UnitsSold, long Rank);

internal static class OrderEndpoints
{
    public const int MaxTop = 100;

    public static void MapOrders(this RouteGroupBuilder api)
    {
        api.MapPost("/checkout", async Task<IResult> (HttpContext context, CheckoutService checkout) =>
        {
            var result = await checkout.CheckOutAsync(context.Session, context.RequestAborted);
            return result.Order is { } order
                ? TypedResults.Created($"/api/orders/{order.Id}", order)
                : result.Status == StatusCodes.Status409Conflict ? Problems.Conflict(result.Problem!) : Problems.BadRequest(result.Problem!);
        });

        api.MapGet("/orders/{id:long}", async Task<IResult> (long id, KvClient kv, CancellationToken ct) =>
        {
            var json = await kv.GetAsync("shop:order:" + id, ct);
            return json.IsNull ? Problems.NotFound($"There is no order {id}.") : TypedResults.Ok(JsonSerializer.Deserialize<Order>(json.ToString()));
        });

        api.MapGet("/leaderboard", async Task<IResult> (int? top, [FromKeyedServices(CheckoutService.Board)] ILeaderboard board, CancellationToken ct) =>
        {
            int count = top ?? 10;
            if (count is < 1 or > MaxTop)
            {
                return Problems.BadRequest($"top must be between 1 and {MaxTop}.");
            }

            var entries = await board.GetTopAsync(count, ct);
            var rows = new BestSeller[entries.Count];
            for (int i = 0; i < rows.Length; i++)
            {
                var entry = entries[i];
                rows[i] = new BestSeller(int.Parse(entry.Member, System.Globalization.CultureInfo.InvariantCulture), entry.Data, (long)entry.Score, entry.Rank);
            }

            return TypedResults.Ok(rows);
        });
    }
}
