using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kv.Server.Persistence;

/// <summary>
/// fsync for files and folders. .NET flushes a file to disk only through a FileStream and cannot
/// open a folder at all, but a rename is durable only once its folder is fsynced; so on Unix the
/// libc calls are used directly (Redis: redis_fsync is fdatasync on Linux, and fsyncFileDir).
/// </summary>
internal static partial class DiskSync
{
    private const int OpenReadOnly = 0;

    /// <summary>Makes the file's written data durable; throws <see cref="IOException"/> on failure.</summary>
    public static void File(SafeFileHandle handle)
    {
        if (OperatingSystem.IsWindows())
        {
            using var stream = new FileStream(handle, FileAccess.Write, 0);
            stream.Flush(flushToDisk: true);
            return;
        }

        int result = OperatingSystem.IsLinux() ? fdatasync(handle) : fsync(handle);
        if (result != 0)
        {
            throw new IOException($"fsync failed: {Marshal.GetLastPInvokeErrorMessage()}", Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Makes renames and creations in <paramref name="path"/> durable (no-op where folders cannot be opened).</summary>
    public static void Directory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        int fd = open(path, OpenReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Could not open folder '{path}' to fsync it: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        try
        {
            if (fsyncfd(fd) != 0)
            {
                throw new IOException($"fsync of folder '{path}' failed: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }
        finally
        {
            close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsyncfd(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
