namespace Kv.Client;

/// <summary>The RESP type of a reply, as the server sent it (RESP2 servers use only the first six).</summary>
public enum KvResultType : byte
{
    /// <summary>A null: RESP2 <c>$-1</c> or <c>*-1</c>, RESP3 <c>_</c>.</summary>
    Null,

    /// <summary>A simple string (<c>+OK</c>).</summary>
    SimpleString,

    /// <summary>An error (<c>-ERR …</c>, <c>!len</c>). A command's own error is thrown as <see cref="KvServerException"/>, so this type is seen inside aggregates, such as EXEC's reply.</summary>
    Error,

    /// <summary>An integer (<c>:n</c>).</summary>
    Integer,

    /// <summary>A bulk string (<c>$len</c>).</summary>
    BulkString,

    /// <summary>An array (<c>*n</c>).</summary>
    Array,

    /// <summary>A RESP3 double (<c>,1.5</c>).</summary>
    Double,

    /// <summary>A RESP3 boolean (<c>#t</c>).</summary>
    Boolean,

    /// <summary>A RESP3 big number (<c>(123…</c>).</summary>
    BigNumber,

    /// <summary>A RESP3 verbatim string (<c>=len\r\ntxt:…</c>); the text is exposed without its format prefix, which <see cref="KvResult.VerbatimFormat"/> gives.</summary>
    VerbatimString,

    /// <summary>A RESP3 map (<c>%n</c>): <see cref="KvResult.Items"/> holds keys and values alternately.</summary>
    Map,

    /// <summary>A RESP3 set (<c>~n</c>).</summary>
    Set,

    /// <summary>A RESP3 push (<c>&gt;n</c>), as pub/sub messages.</summary>
    Push,
}
