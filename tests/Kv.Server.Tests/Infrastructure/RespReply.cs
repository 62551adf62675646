using System.Text;

namespace Kv.Server.Tests.Infrastructure;

/// <summary>A parsed reply, kept close to the wire so tests can compare kv-server with redis-server exactly.</summary>
public sealed record RespReply(char Type, string? Text, long Integer, IReadOnlyList<RespReply>? Items, byte[]? Bytes = null)
{
    public bool IsError => Type == '-';

    public bool IsNull => Type == '_' || (Type is '$' or '*' && Text is null && Items is null);

    /// <summary>A canonical rendering: type marker and content, nested for aggregates.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        Render(sb);
        return sb.ToString();
    }

    private void Render(StringBuilder sb)
    {
        switch (Type)
        {
            case '*' or '%' or '~' or '>':
                if (Items is null)
                {
                    sb.Append("(nil-array)");
                    return;
                }

                sb.Append(Type).Append('[');
                for (int i = 0; i < Items.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(", ");
                    }

                    Items[i].Render(sb);
                }

                sb.Append(']');
                break;
            case ':':
                sb.Append(':').Append(Integer);
                break;
            case '$' when Text is null:
                sb.Append("(nil)");
                break;
            case '_':
                sb.Append("(null)");
                break;
            default:
                sb.Append(Type).Append(Text);
                break;
        }
    }
}
