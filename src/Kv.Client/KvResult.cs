using System.Globalization;
using System.Text;
using Kv.Protocol;

namespace Kv.Client;

/// <summary>
/// A reply exactly as the server sent it: its RESP2/RESP3 type, its scalar value or its items.
/// Maps keep their keys and values alternately in <see cref="Items"/>.
/// </summary>
public readonly struct KvResult
{
    // byte[] for strings, errors, big numbers and verbatim text; KvResult[] for aggregates.
    private readonly object? _payload;

    // Integers, booleans (1/0) and RESP3 doubles (their bits).
    private readonly long _number;

    internal KvResult(KvResultType type, object? payload, long number = 0)
    {
        Type = type;
        _payload = payload;
        _number = number;
    }

    /// <summary>The reply's RESP type.</summary>
    public KvResultType Type { get; }

    /// <summary>True for a null reply.</summary>
    public bool IsNull => Type == KvResultType.Null;

    /// <summary>True for an error reply.</summary>
    public bool IsError => Type == KvResultType.Error;

    /// <summary>True for arrays, maps, sets and pushes.</summary>
    public bool IsAggregate => Type is KvResultType.Array or KvResultType.Map or KvResultType.Set or KvResultType.Push;

    /// <summary>The items of an aggregate (maps: key, value, key, value…); empty for other types.</summary>
    public ReadOnlySpan<KvResult> Items => _payload as KvResult[] ?? [];

    /// <summary>The number of items of an aggregate (a map counts keys and values).</summary>
    public int Count => (_payload as KvResult[])?.Length ?? 0;

    /// <summary>The item at <paramref name="index"/> of an aggregate.</summary>
    public KvResult this[int index] => _payload is KvResult[] items
        ? items[index]
        : throw new InvalidCastException($"The reply is {Type}, not an aggregate: {this}.");

    /// <summary>The format of a RESP3 verbatim string (<c>txt</c>, <c>mkd</c>); null for other types.</summary>
    public string? VerbatimFormat => Type == KvResultType.VerbatimString && _number != 0
        ? string.Create(3, _number, static (chars, n) =>
        {
            chars[0] = (char)(n & 0xFF);
            chars[1] = (char)((n >> 8) & 0xFF);
            chars[2] = (char)((n >> 16) & 0xFF);
        })
        : null;

    /// <summary>The error's prefix (<c>ERR</c>, <c>WRONGTYPE</c>…) for an error reply; null otherwise.</summary>
    public string? ErrorPrefix => IsError ? KvServerException.PrefixOf(AsString()!) : null;

    internal byte[]? Bytes => _payload as byte[];

    /// <summary>A bulk string read straight into a pooled buffer for a lease-reading command (GetLeaseAsync).</summary>
    internal KvLease? Lease => _payload as KvLease;

    internal long Number => _number;

    /// <summary>The reply as a value: strings, numbers and booleans as their text; null stays null.</summary>
    /// <exception cref="InvalidCastException">The reply is an aggregate.</exception>
    public KvValue AsValue() => Type switch
    {
        KvResultType.Null => KvValue.Null,
        KvResultType.Integer => _number,
        KvResultType.Boolean => _number,
        KvResultType.Double => BitConverter.Int64BitsToDouble(_number),
        _ when _payload is byte[] bytes => bytes,
        _ => throw new InvalidCastException($"The reply is {Type}, not a single value: {this}."),
    };

    /// <summary>The reply as text; null for a null reply.</summary>
    public string? AsString() => IsNull ? null : (_payload is byte[] bytes ? Encoding.UTF8.GetString(bytes) : AsValue().ToString());

    /// <summary>The reply as an integer (integers, booleans, and strings that hold one).</summary>
    /// <exception cref="InvalidCastException">The reply holds no integer.</exception>
    public long AsInt64() => Type switch
    {
        KvResultType.Integer or KvResultType.Boolean => _number,
        _ => (long)AsValue(),
    };

    /// <summary>The reply as a double (RESP3 doubles, integers, and strings that hold a number).</summary>
    /// <exception cref="InvalidCastException">The reply holds no number.</exception>
    public double AsDouble() => Type switch
    {
        KvResultType.Double => BitConverter.Int64BitsToDouble(_number),
        KvResultType.Integer => _number,
        _ => (double)AsValue(),
    };

    /// <summary>The reply as a boolean: RESP3 booleans, integers (non-zero is true) and <c>+OK</c>.</summary>
    /// <exception cref="InvalidCastException">The reply holds no boolean.</exception>
    public bool AsBoolean() => Type switch
    {
        KvResultType.Boolean or KvResultType.Integer => _number != 0,
        KvResultType.SimpleString => Bytes.AsSpan().SequenceEqual("OK"u8),
        KvResultType.Null => false,
        _ => throw new InvalidCastException($"The reply is {Type}, not a boolean: {this}."),
    };

    /// <summary>The reply in redis-cli's style: <c>"text"</c>, <c>(integer) 1</c>, <c>(nil)</c>, <c>(error) ERR …</c>, <c>[a, b]</c>, <c>{k: v}</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(text);
        return text.ToString();
    }

    private void Append(StringBuilder text)
    {
        switch (Type)
        {
            case KvResultType.Null:
                text.Append("(nil)");
                break;
            case KvResultType.Integer:
                text.Append("(integer) ").Append(_number.ToString(CultureInfo.InvariantCulture));
                break;
            case KvResultType.Boolean:
                text.Append(_number != 0 ? "(true)" : "(false)");
                break;
            case KvResultType.Double:
                text.Append("(double) ").Append(BitConverter.Int64BitsToDouble(_number).ToString("R", CultureInfo.InvariantCulture));
                break;
            case KvResultType.Error:
                text.Append("(error) ").Append(AsString());
                break;
            case KvResultType.SimpleString:
            case KvResultType.BigNumber:
                text.Append(AsString());
                break;
            case KvResultType.BulkString:
            case KvResultType.VerbatimString:
                text.Append('"').Append(AsString()).Append('"');
                break;
            default:
                var items = Items;
                bool map = Type == KvResultType.Map;
                text.Append(map ? '{' : '[');
                for (int i = 0; i < items.Length; i++)
                {
                    if (i > 0)
                    {
                        text.Append(map && i % 2 == 1 ? ": " : ", ");
                    }

                    items[i].Append(text);
                }

                text.Append(map ? '}' : ']');
                break;
        }
    }
}
