using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kv.Server.Storage;

/// <summary>
/// <see cref="PagedArray{T}"/> for plain structs, with its pages in native memory (malloc): the key
/// table's entries, sizes and TTL index. On the GC heap these pages were most of the heap under a
/// data set of small keys (54 MB of 130 for 1M small sets), and the GC kept committed room for
/// compacting them: resident memory jumped by up to 20 MB after a compacting collection under
/// maxmemory churn. Pages are whole (512 elements: 12 KB of entries, so a table's first key costs
/// little), allocated zeroed when first needed (an empty table holds none), never moved or resized, and freed only by <see cref="Free"/>: a reference to an element
/// stays valid until then. Indices are not checked within a page; callers stay below <see cref="Capacity"/>.
/// </summary>
internal unsafe struct NativePagedArray<T>
    where T : unmanaged
{
    private const int PageBits = 9;
    private const int PageSize = 1 << PageBits;
    private const int PageMask = PageSize - 1;

    private nint[]? _pages;

    /// <summary>Elements the pages hold.</summary>
    public readonly int Capacity => _pages is null ? 0 : _pages.Length * PageSize;

    /// <summary>Bytes of native memory the pages take.</summary>
    public readonly long AllocatedBytes => (long)Capacity * sizeof(T);

    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref ((T*)_pages![index >> PageBits])[index & PageMask];
    }

    /// <summary>Makes room for at least <paramref name="capacity"/> elements (whole pages, zeroed); existing ones keep their place and value.</summary>
    public void Grow(int capacity)
    {
        int pages = (int)(((long)capacity + PageMask) >> PageBits);
        int had = _pages?.Length ?? 0;
        if (pages <= had)
        {
            return;
        }

        var grown = new nint[pages];
        _pages?.CopyTo(grown, 0);
        for (int i = had; i < pages; i++)
        {
            grown[i] = (nint)NativeMemory.AllocZeroed(PageSize, (nuint)sizeof(T));
        }

        _pages = grown;
    }

    /// <summary>Frees every page; the array is empty (and usable) afterwards.</summary>
    public void Free()
    {
        if (_pages is null)
        {
            return;
        }

        foreach (nint page in _pages)
        {
            NativeMemory.Free((void*)page);
        }

        _pages = null;
    }
}
