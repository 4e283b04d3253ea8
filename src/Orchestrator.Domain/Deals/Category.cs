namespace Orchestrator.Domain.Deals;

/// <summary>A task category: its name and reference time (maximum run time unit).</summary>
/// <param name="Id">The on-chain category index.</param>
/// <param name="Name">Short name (XS, S, M, L, XL, or a pool-defined one).</param>
/// <param name="Timeref">The reference time every deadline is a multiple of.</param>
public sealed record Category(int Id, string Name, TimeSpan Timeref)
{
    /// <summary>XS: 300 s.</summary>
    public static readonly Category XS = new(0, "XS", TimeSpan.FromSeconds(300));

    /// <summary>S: 1,200 s.</summary>
    public static readonly Category S = new(1, "S", TimeSpan.FromSeconds(1_200));

    /// <summary>M: 3,600 s.</summary>
    public static readonly Category M = new(2, "M", TimeSpan.FromSeconds(3_600));

    /// <summary>L: 10,800 s.</summary>
    public static readonly Category L = new(3, "L", TimeSpan.FromSeconds(10_800));

    /// <summary>XL: 36,000 s.</summary>
    public static readonly Category XL = new(4, "XL", TimeSpan.FromSeconds(36_000));
}

/// <summary>The categories a pool knows: PoCo's five plus any the pool admin adds.</summary>
public sealed class CategoryCatalog
{
    private readonly Dictionary<int, Category> _byId;

    /// <summary>A catalog with the default categories and the given extra ones.</summary>
    public CategoryCatalog(IEnumerable<Category>? extra = null)
    {
        _byId = new[] { Category.XS, Category.S, Category.M, Category.L, Category.XL }.ToDictionary(c => c.Id);
        foreach (var category in extra ?? [])
        {
            if (category.Timeref <= TimeSpan.Zero)
            {
                throw new ArgumentException($"category {category.Name} needs a positive timeref");
            }

            _byId[category.Id] = category;
        }
    }

    /// <summary>The default catalog.</summary>
    public static CategoryCatalog Default { get; } = new();

    /// <summary>Finds a category by id.</summary>
    public bool TryGet(int id, out Category category) => _byId.TryGetValue(id, out category!);

    /// <summary>Finds a category by name (case-insensitive).</summary>
    public Category? FindByName(string name)
        => _byId.Values.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>All categories by id.</summary>
    public IReadOnlyCollection<Category> All => _byId.Values;
}
