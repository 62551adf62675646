namespace Kv.Server.Persistence.Rdb;

/// <summary>Redis's rdb.h: the file version, value types and opcodes, as Redis 7.0 (RDB 10) writes them and later versions add.</summary>
internal static class RdbFormat
{
    /// <summary>RDB_VERSION of Redis 7.0; files and DUMP payloads say so.</summary>
    public const int Version = 10;

    /// <summary>The newest version read (Redis 7.4's RDB 12 adds only types this reader knows).</summary>
    public const int MaxReadVersion = 12;

    public const byte TypeString = 0;
    public const byte TypeList = 1;
    public const byte TypeSet = 2;
    public const byte TypeZset = 3;
    public const byte TypeHash = 4;
    public const byte TypeZset2 = 5;
    public const byte TypeModule = 6;
    public const byte TypeModule2 = 7;
    public const byte TypeHashZipmap = 9;
    public const byte TypeListZiplist = 10;
    public const byte TypeSetIntset = 11;
    public const byte TypeZsetZiplist = 12;
    public const byte TypeHashZiplist = 13;
    public const byte TypeListQuicklist = 14;
    public const byte TypeStreamListpacks = 15;
    public const byte TypeHashListpack = 16;
    public const byte TypeZsetListpack = 17;
    public const byte TypeListQuicklist2 = 18;
    public const byte TypeStreamListpacks2 = 19;

    /// <summary>Redis 7.2.</summary>
    public const byte TypeSetListpack = 20;

    /// <summary>Redis 7.2.</summary>
    public const byte TypeStreamListpacks3 = 21;

    /// <summary>Redis 7.4 (hash field expiration): a hashtable hash with a TTL per field.</summary>
    public const byte TypeHashMetadata = 24;

    /// <summary>Redis 7.4: a listpack hash with a TTL per field.</summary>
    public const byte TypeHashListpackEx = 25;

    public const byte OpcodeFunction2 = 245;
    public const byte OpcodeFunctionPreGa = 246;
    public const byte OpcodeModuleAux = 247;
    public const byte OpcodeIdle = 248;
    public const byte OpcodeFreq = 249;
    public const byte OpcodeAux = 250;
    public const byte OpcodeResizeDb = 251;
    public const byte OpcodeExpireTimeMs = 252;
    public const byte OpcodeExpireTime = 253;
    public const byte OpcodeSelectDb = 254;
    public const byte OpcodeEof = 255;

    // Length encodings (the top two bits of the first byte).
    public const int Len6Bit = 0;
    public const int Len14Bit = 1;
    public const byte Len32Bit = 0x80;
    public const byte Len64Bit = 0x81;
    public const int LenEncoded = 3;

    // Special string encodings after an RDB_ENCVAL length byte.
    public const int EncInt8 = 0;
    public const int EncInt16 = 1;
    public const int EncInt32 = 2;
    public const int EncLzf = 3;

    /// <summary>Quicklist 2 node containers.</summary>
    public const int QuicklistNodePlain = 1;
    public const int QuicklistNodePacked = 2;
}

