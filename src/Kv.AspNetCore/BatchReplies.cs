using System.Runtime.ExceptionServices;
using Kv.Client;

namespace Kv.AspNetCore;

/// <summary>The replies of a <see cref="KvBatch"/>, often a MULTI … EXEC the blocks send in one write.</summary>
internal static class BatchReplies
{
    /// <summary>
    /// Awaits every reply (each pooled operation goes back to its pool) and throws the first failure:
    /// a command refused while queueing (OOM) says more than EXEC's EXECABORT that follows it.
    /// </summary>
    public static async Task<KvResult[]> AwaitAllAsync(ValueTask<KvResult>[] replies)
    {
        var results = new KvResult[replies.Length];
        Exception? failure = null;
        for (int i = 0; i < replies.Length; i++)
        {
            try
            {
                results[i] = await replies[i].ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure ??= ex;
            }
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }

        return results;
    }

    /// <summary>Throws the first error among EXEC's replies (a command that failed when it ran).</summary>
    /// <exception cref="KvServerException">A command inside the transaction failed.</exception>
    public static void ThrowIfFailed(in KvResult exec)
    {
        foreach (var result in exec.Items)
        {
            if (result.IsError)
            {
                throw new KvServerException(result.AsString()!, "EXEC");
            }
        }
    }
}
