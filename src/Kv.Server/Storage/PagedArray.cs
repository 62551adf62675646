using System.Runtime.CompilerServices;

namespace Kv.Server.Storage;

/// <summary>
/// An array that grows a page at a time instead of doubling and copying: the key table's value slots
/// (its other arrays are native, <see cref="NativePagedArray{T}"/>). A doubled array wasted up to half its
/// slots and left the old array as large-object-heap garbage that the process kept until the GC's next
/// full collection. Pages of 2048 elements (16 KB of references) stay under the large-object threshold and
/// are never copied; below one page the first page doubles, so an empty database costs a few hundred bytes.
/// References to elements of full pages stay valid across growth.
/// </summary>
internal struct PagedArray<T>
{
    private const int PageBits = 11;
    private const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;

    private T[][] _pages;

    public PagedArray(int capacity)
    {
        _pages = [new T[Math.Min(capacity, PageSize)]];
        Capacity = _pages[0].Length;
        if (capacity > PageSize)
        {
            Grow(capacity);
        }
    }

    /// <summary>Elements the pages hold.</summary>
    public int Capacity { get; private set; }

    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _pages[index >> PageBits][index & PageMask];
    }

    /// <summary>
    /// Makes room for at least <paramref name="capacity"/> elements (whole pages; the first page at least
    /// doubles); existing ones keep their place and value.
    /// </summary>
    public void Grow(int capacity)
    {
        if (capacity <= Capacity)
        {
            return;
        }

        if (Capacity < PageSize)
        {
            // The first page doubles (amortized O(1) appends) up to a full page.
            Array.Resize(ref _pages[0], Math.Min(Math.Max(capacity, Capacity * 2), PageSize));
            Capacity = _pages[0].Length;
        }

        int pages = (int)(((long)capacity + PageMask) >> PageBits);
        if (pages > _pages.Length)
        {
            int had = _pages.Length;
            Array.Resize(ref _pages, pages);
            for (int i = had; i < pages; i++)
            {
                _pages[i] = new T[PageSize];
            }

            Capacity = pages * PageSize;
        }
    }
}
