namespace Kv.Protocol;

/// <summary>Counts error replies by code, the first word of the error (Redis's INFO errorstats).</summary>
public interface IErrorCounter
{
    /// <summary>One error with <paramref name="code"/> (such as <c>ERR</c>, <c>WRONGTYPE</c>, <c>NOGROUP</c>) was written.</summary>
    void Count(ReadOnlySpan<byte> code);
}
