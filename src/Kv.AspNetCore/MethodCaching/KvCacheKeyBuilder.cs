using System.Buffers;
using System.Buffers.Text;
using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Kv.AspNetCore.MethodCaching;

/// <summary>
/// Builds a [Cache] key: the prefix, the method's identity, then each argument after a colon, in a
/// text form that is the same in every process and on every machine (invariant culture, round-trip
/// formats, no hash codes) and never the same for two different argument lists. Used by generated code.
/// </summary>
/// <remarks>
/// Arguments: integers and enums (their number) in decimal; <c>true</c>/<c>false</c>; float and double
/// as "R"; decimal with its scale (<c>1.0</c>); Guid "D"; DateTime as <c>yyyy-MM-ddTHH:mm:ss.fffffff</c>
/// then its kind (<c>Z</c> UTC, <c>L</c> local, <c>U</c> unspecified); DateTimeOffset, DateOnly, TimeOnly
/// "O"; TimeSpan "c"; strings and chars as their length, a colon and the text (so <c>("a:b","c")</c>
/// and <c>("a","b:c")</c> differ), or <c>x</c> and hex UTF-16 when the text is not valid Unicode; other
/// types as JSON (System.Text.Json, compact), length-prefixed the same way; null as <c>~</c>. Each
/// position has one type (the method's identity names the parameter types), so each form only
/// needs to be unambiguous among values of its own type.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct KvCacheKeyBuilder
{
    private const char Null = '~';

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_json;

    [ThreadStatic]
    private static Utf8JsonWriter? t_jsonWriter;

    private readonly KvMethodCache _cache;
    private Span<char> _chars;
    private char[]? _rented;
    private int _length;

    /// <summary>Starts a key in <paramref name="initial"/> (stack memory; a pooled array when it outgrows it).</summary>
    public KvCacheKeyBuilder(Span<char> initial, KvMethodCache cache, string method)
    {
        _cache = cache;
        _chars = initial;
        _rented = null;
        _length = 0;
        Write(cache.KeyPrefix);
        Write(method);
    }

    /// <summary>Appends a signed integer or an enum's number.</summary>
    public void Append(long value) => AppendFormatted(value, default);

    /// <summary>Appends an unsigned integer or an enum's number.</summary>
    public void Append(ulong value) => AppendFormatted(value, default);

    /// <summary>Appends <c>true</c> or <c>false</c>.</summary>
    public void Append(bool value)
    {
        Separator();
        Write(value ? "true" : "false");
    }

    /// <summary>Appends a char as a one-character string.</summary>
    public void Append(char value) => Append(new ReadOnlySpan<char>(in value));

    /// <summary>Appends a float that parses back to the same value.</summary>
    public void Append(float value) => AppendFormatted(value, "R");

    /// <summary>Appends a double that parses back to the same value.</summary>
    public void Append(double value) => AppendFormatted(value, "R");

    /// <summary>Appends a decimal with its scale.</summary>
    public void Append(decimal value) => AppendFormatted(value, default);

    /// <summary>Appends a Guid ("D").</summary>
    public void Append(Guid value) => AppendFormatted(value, "D");

    /// <summary>Appends a DateTime with its kind (the same local time is the same key on every machine).</summary>
    public void Append(DateTime value)
    {
        AppendFormatted(value, "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffff");
        WriteChar(value.Kind switch { DateTimeKind.Utc => 'Z', DateTimeKind.Local => 'L', _ => 'U' });
    }

    /// <summary>Appends a DateTimeOffset with its offset ("O").</summary>
    public void Append(DateTimeOffset value) => AppendFormatted(value, "O");

    /// <summary>Appends a TimeSpan ("c").</summary>
    public void Append(TimeSpan value) => AppendFormatted(value, "c");

    /// <summary>Appends a DateOnly ("O").</summary>
    public void Append(DateOnly value) => AppendFormatted(value, "O");

    /// <summary>Appends a TimeOnly ("O").</summary>
    public void Append(TimeOnly value) => AppendFormatted(value, "O");

    /// <summary>Appends a string, length-prefixed, or the null marker.</summary>
    public void Append(string? value)
    {
        if (value is null)
        {
            AppendNull();
            return;
        }

        Append(value.AsSpan());
    }

    /// <summary>Appends the null marker (a null string, object or empty Nullable).</summary>
    public void AppendNull()
    {
        Separator();
        WriteChar(Null);
    }

    /// <summary>Appends a value with no fixed text form as compact JSON, length-prefixed (null: the null marker).</summary>
    public void AppendJson<T>(T value)
    {
        if (value is null)
        {
            AppendNull();
            return;
        }

        var buffer = t_json ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_jsonWriter;
        if (writer is null)
        {
            writer = t_jsonWriter = new Utf8JsonWriter(buffer);
        }
        else
        {
            writer.Reset(buffer);
        }

        try
        {
            JsonSerializer.Serialize(writer, value, _cache.TypeInfo<T>());
            writer.Flush();
            var utf8 = buffer.WrittenSpan;
            int count = Encoding.UTF8.GetCharCount(utf8);
            Separator();
            AppendFormatted(count, default, separator: false);
            WriteChar(':');
            Encoding.UTF8.GetChars(utf8, Reserve(count));
            _length += count;
        }
        finally
        {
            writer.Reset(Stream.Null);
            if (buffer.Capacity > 64 * 1024)
            {
                t_json = null;
            }
        }
    }

    /// <summary>
    /// The key: as built when its UTF-8 form fits <see cref="KvMethodCacheOptions.MaxKeyLength"/>, else
    /// its first characters, <c>#</c> and the SHA-256 of the whole (longer than the limit, so it never
    /// equals a key that was not shortened). Returns the pooled buffer.
    /// </summary>
    public string ToKey()
    {
        try
        {
            var text = _chars[.._length];
            int limit = _cache.MaxKeyLength;
            int bytes = Encoding.UTF8.GetByteCount(text);
            if (bytes <= limit)
            {
                return new string(text);
            }

            byte[] utf8 = ArrayPool<byte>.Shared.Rent(bytes);
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            try
            {
                SHA256.HashData(utf8.AsSpan(0, Encoding.UTF8.GetBytes(text, utf8)), hash);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(utf8);
            }

            int keep = Math.Min(limit, text.Length);
            if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
            {
                keep--;
            }

            // The readable part, '#', then the hash, written over the text (its hash is taken).
            int hashed = keep + 1 + Base64Url.GetEncodedLength(SHA256.HashSizeInBytes);
            if (hashed > _chars.Length)
            {
                Grow(hashed);
            }

            _chars[keep] = '#';
            Base64Url.EncodeToChars(hash, _chars[(keep + 1)..hashed]);
            return new string(_chars[..hashed]);
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Returns the pooled buffer, if one was taken (<see cref="ToKey"/> does this).</summary>
    public void Dispose()
    {
        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    private void Append(scoped ReadOnlySpan<char> value)
    {
        Separator();
        if (Utf8.FromUtf16(value, Span<byte>.Empty, out _, out _, replaceInvalidSequences: false) == OperationStatus.InvalidData)
        {
            // A lone surrogate would be replaced on the way to UTF-8, so two such strings could share a key.
            WriteChar('x');
            foreach (char c in value)
            {
                AppendFormatted((ushort)c, "x4", separator: false);
            }

            return;
        }

        AppendFormatted(value.Length, default, separator: false);
        WriteChar(':');
        Write(value);
    }

    private void AppendFormatted<T>(T value, scoped ReadOnlySpan<char> format, bool separator = true)
        where T : ISpanFormattable
    {
        if (separator)
        {
            Separator();
        }

        int written;
        while (!value.TryFormat(_chars[_length..], out written, format, CultureInfo.InvariantCulture))
        {
            Grow(_chars.Length * 2);
        }

        _length += written;
    }

    private void Separator() => WriteChar(':');

    private void WriteChar(char c)
    {
        if (_length == _chars.Length)
        {
            Grow(_length + 1);
        }

        _chars[_length++] = c;
    }

    private void Write(scoped ReadOnlySpan<char> text)
    {
        text.CopyTo(Reserve(text.Length));
        _length += text.Length;
    }

    private Span<char> Reserve(int count)
    {
        if (_length + count > _chars.Length)
        {
            Grow(_length + count);
        }

        return _chars.Slice(_length, count);
    }

    private void Grow(int needed)
    {
        char[] bigger = ArrayPool<char>.Shared.Rent(Math.Max(needed, Math.Max(_chars.Length * 2, 256)));
        _chars[.._length].CopyTo(bigger);
        Dispose();
        _rented = bigger;
        _chars = bigger;
    }
}
