namespace Kv.Server.Scripting;

/// <summary>Redis 7.0's error texts for scripts and functions, word for word (eval.c, script.c, script_lua.c, functions.c).</summary>
internal static class ScriptErrors
{
    public const string NoScript = "NOSCRIPT No matching script. Please use EVAL.";
    public const string NegativeKeys = "ERR Number of keys can't be negative";
    public const string TooManyKeys = "ERR Number of keys can't be greater than number of args";
    public const string BadKeyCount = "ERR Bad number of keys provided";
    public const string NotBusy = "NOTBUSY No scripts in execution right now.";
    public const string Unkillable = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
    public const string BusyEval = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    public const string BusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
    public const string Killed = "ERR Script killed by user with SCRIPT KILL...";
    public const string KilledFunction = "ERR Script killed by user with FUNCTION KILL...";
    public const string WriteFlagInReadOnly = "ERR Can not execute a script with write flag using *_ro command.";

    // Errors of redis.call, raised in the script (luaPushError prefixes ERR).
    public const string NoArguments = "ERR Please specify at least one argument for this redis lib call";
    public const string BadArgument = "ERR Lua redis lib command arguments must be strings or integers";
    public const string UnknownCommand = "ERR Unknown Redis command called from script";
    public const string WrongArgs = "ERR Wrong number of args calling Redis command from script";
    public const string NotAllowed = "ERR This Redis command is not allowed from script";
    public const string WriteInReadOnly = "ERR Write commands are not allowed from read-only scripts.";

    // Functions.
    public const string FunctionNotFound = "ERR Function not found";
    public const string LibraryNotFound = "ERR Library not found";
    public const string MissingMetadata = "ERR Missing library metadata";
    public const string NoLibraryName = "ERR Library name was not given";
    public const string NoFunctions = "ERR No functions registered";
    public const string BadLibraryName = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
    public const string FunctionExistsInLibrary = "ERR Function already exists in the library";
    public const string LoadTimeout = "ERR FUNCTION LOAD timeout";
    public const string BadPayload = "ERR DUMP payload version or checksum are wrong";
    public const string BadRestorePolicy = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.";
}
