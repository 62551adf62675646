using System.Text.Json;

namespace WebShop.Cart;

/// <summary>One product and how many of it.</summary>
public sealed record CartLine(int ProductId, int Quantity);

/// <summary>
/// The cart kept in the Kv session under <c>cart</c> (JSON). <see cref="Id"/> names this cart's contents
/// for checkout: a cart is checked out once, even by a request that loaded the session before another
/// request emptied it.
/// </summary>
public sealed class Cart
{
    private const string SessionKey = "cart";

    /// <summary>The most units of one product in a cart.</summary>
    public const int MaxQuantity = 99;

    public string Id { get; set; } = Guid.NewGuid().ToString("N");

    public List<CartLine> Lines { get; set; } = [];

    public static Cart Load(ISession session)
    {
        var json = session.GetString(SessionKey);
        return json is null ? new Cart() : JsonSerializer.Deserialize<Cart>(json) ?? new Cart();
    }

    public void Save(ISession session)
    {
        if (Lines.Count == 0)
        {
            session.Remove(SessionKey);
        }
        else
        {
            session.SetString(SessionKey, JsonSerializer.Serialize(this));
        }
    }

    public static void Clear(ISession session) => session.Remove(SessionKey);

    /// <summary>Adds units; false when the line would pass <see cref="MaxQuantity"/>.</summary>
    public bool TryAdd(int productId, int quantity)
    {
        for (int i = 0; i < Lines.Count; i++)
        {
            if (Lines[i].ProductId == productId)
            {
                int total = Lines[i].Quantity + quantity;
                if (total > MaxQuantity)
                {
                    return false;
                }

                Lines[i] = Lines[i] with { Quantity = total };
                return true;
            }
        }

        Lines.Add(new CartLine(productId, quantity));
        return true;
    }

    public bool Remove(int productId) => Lines.RemoveAll(line => line.ProductId == productId) > 0;
}
