namespace Kv.Server.Commands;

/// <summary>
/// Redis's start/end index rule (LRANGE, LTRIM, ZRANGE by rank): negative indexes count from the
/// end, start is clamped to 0 and end to the last element.
/// </summary>
internal static class IndexRange
{
    /// <summary>Normalizes <paramref name="start"/> and <paramref name="end"/> for <paramref name="length"/> elements; false when the range selects nothing.</summary>
    public static bool TryNormalize(ref long start, ref long end, long length)
    {
        if (start < 0)
        {
            start += length;
        }

        if (end < 0)
        {
            end += length;
        }

        if (start < 0)
        {
            start = 0;
        }

        if (start > end || start >= length)
        {
            return false;
        }

        if (end >= length)
        {
            end = length - 1;
        }

        return true;
    }
}
