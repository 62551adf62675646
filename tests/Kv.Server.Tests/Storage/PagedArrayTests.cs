using Kv.Server.Storage;

namespace Kv.Server.Tests.Storage;

/// <summary>The key table's paged arrays: growth never moves or loses elements and adds a page at a time.</summary>
public sealed class PagedArrayTests
{
    [Fact]
    public void FirstPageDoublesThenWholePagesAreAdded()
    {
        var array = new PagedArray<int>(16);
        Assert.Equal(16, array.Capacity);
        array.Grow(17);
        Assert.Equal(32, array.Capacity);
        array.Grow(2048);
        Assert.Equal(2048, array.Capacity);
        array.Grow(2049);
        Assert.Equal(4096, array.Capacity);
        array.Grow(10_000);
        Assert.Equal(10_240, array.Capacity);
        array.Grow(5); // never shrinks
        Assert.Equal(10_240, array.Capacity);
    }

    [Fact]
    public void ElementsKeepTheirValuesAndReferencesAcrossGrowth()
    {
        var array = new PagedArray<long>(4);
        for (int i = 0; i < 5000; i++)
        {
            array.Grow(i + 1);
            array[i] = i * 3L;
        }

        ref long held = ref array[4000];
        array.Grow(100_000);
        held = -1;
        Assert.Equal(-1, array[4000]);
        for (int i = 0; i < 5000; i++)
        {
            Assert.Equal(i == 4000 ? -1 : i * 3L, array[i]);
        }
    }
}
