using System.Runtime.CompilerServices;
using Kv.Server.Storage;

namespace Kv.Server.Tests.Storage;

public class NativePagedArrayTests
{
    [Fact]
    public unsafe void GrowsByWholeZeroedPagesWithoutMovingElements()
    {
        var array = new NativePagedArray<long>();
        Assert.Equal(0, array.Capacity);
        try
        {
            array.Grow(1);
            Assert.Equal(512, array.Capacity);
            Assert.Equal(512L * sizeof(long), array.AllocatedBytes);
            array[0] = 7;
            array[511] = 8;
            long* first = (long*)Unsafe.AsPointer(ref array[0]);

            array.Grow(513);
            Assert.Equal(1024, array.Capacity);
            Assert.Equal(0, array[512]); // a new page is zeroed
            Assert.Equal(7, array[0]);
            Assert.Equal(8, array[511]);
            Assert.True(first == (long*)Unsafe.AsPointer(ref array[0])); // pages never move
            array.Grow(100); // never shrinks
            Assert.Equal(1024, array.Capacity);
        }
        finally
        {
            array.Free();
        }

        Assert.Equal(0, array.Capacity);
        array.Free(); // a second Free is harmless
    }
}
