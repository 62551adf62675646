namespace WebShop.Catalog;

/// <summary>A product of the catalog; <paramref name="Price"/> in euros.</summary>
public sealed record Product(int Id, string Name, string Description, decimal Price, string Icon, int InitialStock);
