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

    /// <summary>Redis's getIntFromObjectOrReply for an integer outside int's range.</summary>
    public static ReadOnlySpan<byte> IntOutOfRange => "ERR value is out of range, value must between -2147483648 and 2147483647"u8;

    public static ReadOnlySpan<byte> SameObject => "ERR source and destination objects are the same"u8;

    public static ReadOnlySpan<byte> InvalidCursor => "ERR invalid cursor"u8;

    public static ReadOnlySpan<byte> ExpireNxIncompatible => "ERR NX and XX, GT or LT options at the same time are not compatible"u8;

    public static ReadOnlySpan<byte> ExpireGtLtIncompatible => "ERR GT and LT options at the same time are not compatible"u8;

    /// <summary>Redis's shared.bgsaveerr (stop-writes-on-bgsave-error after a failed save).</summary>
    public const string Misconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

    /// <summary>Redis's shared.loadingerr.</summary>
    public const string Loading = "LOADING Redis is loading the dataset in memory";

    public static ReadOnlySpan<byte> NoAuth => "NOAUTH Authentication required."u8;

    public static ReadOnlySpan<byte> StringTooLong => "ERR string exceeds maximum allowed size (proto-max-bulk-len)"u8;

    public static ReadOnlySpan<byte> ExecAbort => "EXECABORT Transaction discarded because of previous errors."u8;

    public static ReadOnlySpan<byte> ExecWithoutMulti => "ERR EXEC without MULTI"u8;

    public static ReadOnlySpan<byte> DiscardWithoutMulti => "ERR DISCARD without MULTI"u8;

    public static ReadOnlySpan<byte> NestedMulti => "ERR MULTI calls can not be nested"u8;

    public static ReadOnlySpan<byte> WatchInsideMulti => "ERR WATCH inside MULTI is not allowed"u8;

    /// <summary>Redis's reply to a RESP2 client in subscribed mode running anything but (P|S)(UN)SUBSCRIBE, PING, QUIT or RESET.</summary>
    public static string NotAllowedWhileSubscribed(string fullName)
        => $"ERR Can't execute '{fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

    public static string WrongArgCount(string fullName) => $"ERR wrong number of arguments for '{fullName}' command";

    public static string InvalidExpireTime(string command) => $"ERR invalid expire time in '{command}' command";
}
