using Kv.Client.Internal;

namespace Kv.Client;

public sealed partial class KvClient
{
    /// <summary>Runs a script with EVALSHA, falling back to EVAL when the server does not have it cached (NOSCRIPT).</summary>
    /// <param name="script">The script.</param>
    /// <param name="keys">KEYS[1…] in the script.</param>
    /// <param name="args">ARGV[1…] in the script.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    /// <returns>The script's return value, converted by the server.</returns>
    /// <exception cref="KvServerException">The script failed or called a command that failed.</exception>
    public ValueTask<KvResult> EvalAsync(KvScript script, ReadOnlySpan<KvKey> keys = default, ReadOnlySpan<KvValue> args = default, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        return EvalCoreAsync(script, keys.ToArray(), args.ToArray(), cancellationToken);
    }

    /// <summary>
    /// Runs a script as <see cref="EvalAsync(KvScript, ReadOnlySpan{KvKey}, ReadOnlySpan{KvValue}, CancellationToken)"/>
    /// does, but keeps the caller's memory rather than copying it (it is needed again if the server
    /// answers NOSCRIPT): for callers that reuse their arguments, such as a rate limiter's fixed ones.
    /// Do not change the memory until the task completes.
    /// </summary>
    /// <param name="script">The script.</param>
    /// <param name="keys">KEYS[1…] in the script.</param>
    /// <param name="args">ARGV[1…] in the script.</param>
    /// <param name="cancellationToken">Stops waiting for the reply.</param>
    /// <returns>The script's return value, converted by the server.</returns>
    /// <exception cref="KvServerException">The script failed or called a command that failed.</exception>
    public ValueTask<KvResult> EvalAsync(KvScript script, ReadOnlyMemory<KvKey> keys, ReadOnlyMemory<KvValue> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        return EvalCoreAsync(script, keys, args, cancellationToken);
    }

    private async ValueTask<KvResult> EvalCoreAsync(KvScript script, ReadOnlyMemory<KvKey> keys, ReadOnlyMemory<KvValue> args, CancellationToken cancellationToken)
    {
        try
        {
            return await Send(Eval(CommandNames.EvalSha, script.Sha1, keys, args), cancellationToken).ConfigureAwait(false);
        }
        catch (KvServerException ex) when (ex.Prefix == "NOSCRIPT")
        {
            return await Send(Eval(CommandNames.Eval, script.Source, keys, args), cancellationToken).ConfigureAwait(false);
        }
    }

    private static Operation<KvResult> Eval(KvValue command, string body, ReadOnlyMemory<KvKey> keys, ReadOnlyMemory<KvValue> args)
    {
        var op = Operation<KvResult>.Rent(command, Replies.Result);
        op.Add(body);
        op.Add(keys.Length);
        op.AddRange(keys.Span);
        op.AddRange(args.Span);
        return op;
    }
}
