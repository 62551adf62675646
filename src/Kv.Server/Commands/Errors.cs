namespace Kv.Server.Commands;

/// <summary>Redis's error replies, word for word.</summary>
internal static class Errors
{
    public static ReadOnlySpan<byte> WrongType => "WRONGTYPE Operation against a key holding the wrong kind of value"u8;

    public static ReadOnlySpan<byte> NotInteger => "ERR value is not an integer or out of range"u8;

    public static ReadOnlySpan<byte> NotFloat => "ERR value is not a valid float"u8;

    public static ReadOnlySpan<byte> Syntax => "ERR syntax error"u8;

    public static ReadOnlySpan<byte> Overflow => "ERR increment or decrement would overflow"u8;

    public static ReadOnlySpan<byte> NoSuchKey => "ERR no such key"u8;

    public static ReadOnlySpan<byte> DbIndexOutOfRange => "ERR DB index is out of range"u8;

    /// <summary>getIntFromObjectOrReply's error for an integer outside C's int (Redis's wording, "must between" included).</summary>
    public static ReadOnlySpan<byte> NotInt32 => "ERR value is out of range, value must between -2147483648 and 2147483647"u8;

    public static ReadOnlySpan<byte> NoAuth => "NOAUTH Authentication required."u8;

    public static ReadOnlySpan<byte> StringTooLong => "ERR string exceeds maximum allowed size (proto-max-bulk-len)"u8;

    public static string WrongArgCount(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";

    public static string InvalidExpireTime(string command) => $"ERR invalid expire time in '{command}' command";
}
