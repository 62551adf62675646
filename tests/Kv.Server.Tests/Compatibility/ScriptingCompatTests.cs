namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Scripts and functions sent to kv-server and a real redis-server 7.0, replies compared exactly, in
/// RESP2 and RESP3: conversions both ways, error texts and locations, the Lua environment (redis.*,
/// cjson, cmsgpack, bit, struct, the sandbox), EVALSHA/SCRIPT and FUNCTION/FCALL.
/// </summary>
/// <remarks>
/// Left out on purpose, as Lua 5.4 differs from Redis's Lua 5.1 there: table iteration order (cjson /
/// cmsgpack of tables with several keys, pairs), integers beyond 2^53 (exact in 5.4), tostring of floats
/// through <c>..</c> ("5.0"), and 5.4-only syntax such as <c>//</c>.
/// </remarks>
public sealed class ScriptingCompatTests : IClassFixture<RedisServerFixture>
{
    // Conversions Lua → RESP.
    private static readonly string[] ReplyScripts =
    [
        "return 3.99", "return -3.99", "return 0", "return 1e300", "return 0/0", "return -1/0",
        "return 'abc'", "return ''", "return true", "return false", "return nil", "return",
        "return {}", "return {a=1}", "return {1,2,nil,3}", "return {1,'a',{2,{3,{}}},true,false,3.5}",
        "return {ok='fine'}", "return {ok='a\\r\\nb'}", "return {err='x y'}", "return {err='-x y'}", "return {err=''}",
        "return {1, {ok='x'}, {err='y'}}", "return {err=1}", "return {ok=1}",
        "return redis.status_reply('S')", "return redis.error_reply('My Error')", "return redis.error_reply('-My Error')",
        "return redis.error_reply('x')", "return redis.error_reply()", "return redis.error_reply(1)", "return redis.status_reply()",
        "return 'abc', 2", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}",
        "return {double=3.5}", "return {big_number='123456789012345678901234567890'}", "return {map={a=1}}", "return {set={x=true}}",
        "redis.setresp(3) return true", "redis.setresp(3) return false", "redis.setresp(3) return nil",
    ];

    // Conversions RESP → Lua and redis.call / redis.pcall.
    private static readonly string[] CallScripts =
    [
        "return redis.call('set', KEYS[1], 'v')", "return redis.call('get', KEYS[1])", "return redis.call('get', 'nokey')",
        "return type(redis.call('get', 'nokey'))", "return redis.call('ping')", "return type(redis.call('ping'))",
        "return redis.call('set', KEYS[1], 1.5) and redis.call('get', KEYS[1])", "return redis.call('set', KEYS[1], 10/2) and redis.call('get', KEYS[1])",
        "return redis.call('set', KEYS[1], 0.1) and redis.call('get', KEYS[1])", "return redis.call('set', KEYS[1], 1e22) and redis.call('get', KEYS[1])",
        "return redis.call('set', KEYS[1], -0.0000012345) and redis.call('get', KEYS[1])",
        "redis.call('del', 'l') redis.call('rpush', 'l', 'a', 'b', 'c') return redis.call('lrange', 'l', 0, -1)",
        "return redis.call('incr', KEYS[1])", "return redis.pcall('incr', KEYS[1])", "local r = redis.pcall('incr', KEYS[1]) return type(r) .. r.err",
        "return redis.call('nosuch')", "return redis.pcall('nosuch')", "return redis.call()", "return redis.call({})",
        "return redis.call('get', {})", "return redis.call('set', KEYS[1], true)", "return redis.call('get', 'k', 'x')",
        "return redis.pcall('get', 'k', 'x')", "return redis.pcall('set')", "return redis.call('lpush', KEYS[1], 'x')",
        "return redis.pcall('lpush', KEYS[1], 'x')", "return redis.call('script', 'load', 'return 1')", "return redis.call('eval', 'return 1', 0)",
        "return redis.call('blpop', 'l', 0)", "return redis.call('hello', '3')", "return redis.call('client', 'id')",
        "return pcall(redis.call, 'nosuch')", "local ok, e = pcall(redis.call, 'nosuch') return e",
        "local ok, e = pcall(redis.call, 'incr', KEYS[1]) return {type(e), tostring(e)}",
        "local ok, e = pcall(function() error({err='x'}) end) return type(e)", "local ok, e = pcall(error, 'x') return e",
        "local function f() return redis.call('incr', KEYS[1]) end\nlocal x = 1\nreturn f()",
        "redis.call('hset', 'h', 'f', 'v') return redis.call('hgetall', 'h')",
        "redis.setresp(3) redis.call('hset', 'h', 'f', 'v') return redis.call('hgetall', 'h')",
        "redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f",
        "redis.setresp(3) redis.call('sadd', 's', 'm') return redis.call('smembers', 's')",
        "redis.setresp(3) local r = redis.call('smembers', 's') return tostring(r.set.m)",
        "redis.setresp(3) return redis.call('get', 'nokey')", "redis.setresp(3) return type(redis.call('get', 'nokey'))",
        "redis.setresp(3) redis.call('zadd', 'z', 1.5, 'a') return redis.call('zscore', 'z', 'a')",
        "redis.setresp(3) redis.call('zadd', 'z', 1.5, 'a') return redis.call('zscore', 'z', 'a').double",
        "redis.call('select', 1) redis.call('set', 'indb1', 'x') return redis.call('get', 'indb1')",
    ];

    // Errors and the environment.
    private static readonly string[] EnvironmentScripts =
    [
        "error('boom')", "error('x', 0)", "error({err='my err'})", "error({err='-my err'})", "error(12)",
        "x = 1", "_G.x = 1", "rawset(_G, 'x', 1)", "redis.call = nil", "string.foo = 1", "function f() end", "local t = {} t.x = 1 return t.x",
        "return nosuch", "print('x')", "return os", "return io", "return require", "return debug", "return loadfile", "return dofile",
        "return type(loadstring)", "return loadstring('return 5')()", "return unpack({1,2,3})", "return _VERSION", "return type(_G)",
        "return type(math.pow) .. type(string.gfind) .. type(table.maxn) .. type(math.mod) .. type(table.getn)",
        "return tostring(1.5)", "return tostring(10/2)", "return string.format('%d', 3)", "return redis.sha1hex('')", "return redis.sha1hex()",
        "return redis.sha1hex(1)", "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM",
        "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
        "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
        "redis.log(redis.LOG_DEBUG, 'hi') return 1", "redis.log(99, 'hi') return 1", "redis.log(1) return 1",
        "redis.set_repl(redis.REPL_ALL) return 1", "redis.set_repl(99) return 1", "redis.setresp(4) return 1", "redis.setresp() return 1",
        "return redis.breakpoint()", "return redis.debug('x')", "return redis.replicate_commands()",
        // Tricks on protected tables and metatables (a change to the strings' metatable would reach every later script).
        "setmetatable(_G, {})", "local g = getmetatable(_G) g.__index = {}", "return type(getmetatable(_G))", "setmetatable(redis, {})",
        "return type(getmetatable(redis))", "local g = getmetatable('') g.__index = {}", "return ('x'):rep(2)", "return getmetatable('').__index == string",
        "local g = getmetatable(_G) rawset(g, '__index', {})", "rawset(nil, 1, 1)", "return type(rawget(redis, 'call'))", "return type(rawget(_G, 'redis'))",
        "local n = 0 for k in pairs(getmetatable(_G)) do n = n + 1 end return n", "return setmetatable({}, {__metatable = 5}) and getmetatable(setmetatable({}, {__metatable = 5}))",
        "local n = 0 for k in pairs(string) do n = n + 1 end return n", "local n = 0 for k in pairs(math) do n = n + 1 end return n",
        "local n = 0 for k in pairs(table) do n = n + 1 end return n",
        "local t = {} for k in pairs(_G) do t[#t+1] = k end table.sort(t) return t",
        "local t = {} for k in pairs(redis) do t[#t+1] = k end table.sort(t) return t",
        "local t = {} for k in pairs(bit) do t[#t+1] = k end table.sort(t) return t",
        "local t = {} for k in pairs(cjson) do t[#t+1] = k end table.sort(t) return t",
        "local t = {} for k in pairs(cmsgpack) do t[#t+1] = k end table.sort(t) return t",
        "local t = {} for k in pairs(struct) do t[#t+1] = k end table.sort(t) return t",
        "#!lua\nreturn 1", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')",
        "#!lua name=x\nreturn 1", "#!lua flags=\nreturn 1", "#!lua flags=no-writes,,allow-oom\nreturn 1", "#!\"lua\" \"flags=no-writes\"\nreturn 1",
        "#!lua \"flags\nreturn 1", "#!lua flags=bad\nreturn 1", "#!js\nreturn 1", "#!lua\nerror('x')", "\nerror('x')", "return 1 +",
    ];

    // cjson, cmsgpack, bit, struct.
    private static readonly string[] LibraryScripts =
    [
        "return cjson.encode({1,2,3,{a=1}})", "return cjson.encode({a='x/y'})", "return cjson.encode({b=1.5})", "return cjson.encode({d=1e20})",
        "return cjson.encode({e=0.1})", "return cjson.encode({})", "return cjson.encode({[1]=1,[3]=3})", "return cjson.encode({[1]=1,[30]=3})",
        "return cjson.encode(function() end)", "return cjson.encode('a\"b\\\\c\\n\\1\\127')", "return cjson.encode(cjson.null)",
        "return cjson.encode({true, false, 12, -3, 123456.789})", "return cjson.encode(1/0)",
        "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null", "return cjson.decode('{bad')", "return cjson.decode('[1.5, 2, \"x\", true]')",
        "return cjson.decode('{\"a\":[1,2,3]}').a", "return cjson.decode('\"\\\\u00e9\\\\n\"')", "return cjson.decode('[1,2')", "return cjson.decode('')",
        "return cjson.decode('[1] x')", "return cjson.decode('{\"a\" 1}')", "return cjson.decode('tru')", "return cjson.decode('-12')",
        "return cmsgpack.pack({1,2,3})", "return cmsgpack.pack({a=1})", "return cmsgpack.pack(1.5, 'abc', -1, 300, 70000, 5000000000, true, nil)",
        "return cmsgpack.pack(-33, -200, -40000, -3000000000, 0.1, string.rep('x', 40), string.rep('y', 300))",
        "return cmsgpack.unpack(cmsgpack.pack({1,2,'x'}))", "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', -5, 300))}",
        "return cmsgpack.unpack(cmsgpack.pack({a=1})).a", "return cmsgpack.pack({1,{2,{3}}})",
        "return {bit.band(0xff, 0x0f), bit.bor(1,2), bit.bxor(3,1), bit.bnot(0), bit.lshift(1,31), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(1, 33), bit.ror(1,1), bit.tobit(2^32+5), bit.tohex(255), bit.tohex(-1, -4), bit.tohex(255, 2)}",
        "return {bit.bswap(0x12345678), bit.tobit(0xffffffff), bit.arshift(256, 4), bit.band(-1, 0xffff, 0xff0), bit.tohex(65535, 3)}",
        "return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')", "return table.concat({1.5, 2.0, 3, 'x'}, ',', 2)",
        // lua-cjson's settings last in the Lua state: each script puts back the default it changed.
        "return {cjson.encode_max_depth(), cjson.encode_max_depth(5), cjson.encode_max_depth(1000)}", "return cjson.encode_max_depth(0)",
        "return cjson.encode_max_depth(1, 2)", "return cjson.decode_max_depth('x')", "return cjson.encode_invalid_numbers('bad')",
        "cjson.encode_invalid_numbers(true) local r = cjson.encode({1/0, -1/0, 0/0}) cjson.encode_invalid_numbers(false) return r",
        "cjson.encode_invalid_numbers('null') local r = cjson.encode({1/0}) cjson.encode_invalid_numbers(false) return r",
        "local r = {cjson.encode_sparse_array(true, 3, 4)} cjson.encode_sparse_array(false, 2, 10) return r",
        "cjson.encode_max_depth(1) local ok, e = pcall(cjson.encode, {{1}}) cjson.encode_max_depth(1000) return e",
        "cjson.decode_max_depth(1) local ok, e = pcall(cjson.decode, '[[1]]') cjson.decode_max_depth(1000) return e",
        "cjson.encode_number_precision(3) local r = cjson.encode(3.14159) cjson.encode_number_precision(14) return r",
        "return {cjson.encode_keep_buffer(false), cjson.encode_keep_buffer(true), cjson.decode_invalid_numbers()}",
        "return struct.pack('>I2', 258)", "return {struct.unpack('>I2', '\\1\\2')}", "return struct.pack('<i4', -2)", "return struct.size('>I2i4')",
    ];

    private readonly RedisServerFixture _fixture;

    public ScriptingCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string, int> Groups()
    {
        var data = new TheoryData<string, int>();
        foreach (string group in new[] { "replies", "calls", "environment", "libraries" })
        {
            data.Add(group, 2);
            data.Add(group, 3);
        }

        return data;
    }

    [RedisTheory]
    [MemberData(nameof(Groups))]
    public async Task ScriptsGetTheSameRepliesAsRedis(string group, int protocol)
    {
        string[] scripts = group switch
        {
            "replies" => ReplyScripts,
            "calls" => CallScripts,
            "environment" => EnvironmentScripts,
            _ => LibraryScripts,
        };
        await using var session = await _fixture.OpenSessionAsync(protocol: protocol);
        await session.SendBothAsync(["FLUSHALL"]);
        foreach (string script in scripts)
        {
            await session.CompareAsync(["EVAL", script, "1", "k", "argv1"]);
            await session.CompareAsync(["DEL", "k", "h", "s", "z"]);
        }

        await session.SendBothAsync(["FLUSHALL"]);
    }

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EvalShaScriptAndReadOnlyVariantsMatchRedis(int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(protocol: protocol);
        await session.SendBothAsync(["SCRIPT", "FLUSH"]);
        await session.SendBothAsync(["FLUSHALL"]);
        object[][] commands =
        [
            ["EVAL", "return 1", "-1"], ["EVAL", "return 1", "2", "a"], ["EVAL", "return 1", "abc"], ["EVALSHA", "abc", "0"],
            ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
            ["SCRIPT", "LOAD", "return 1"], ["SCRIPT", "LOAD", "return 1 +"],
            ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "abc", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"],
            ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"], ["EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "0"],
            ["EVALSHA_RO", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
            ["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"], ["EVAL_RO", "return redis.call('get', 'a')", "0"],
            ["EVAL_RO", "#!lua\nreturn redis.call('get', 'a')", "0"], ["EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", "0"],
            ["SCRIPT", "FLUSH", "bad"], ["SCRIPT", "FLUSH", "ASYNC"], ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"],
            ["SCRIPT", "KILL"], ["SCRIPT", "DEBUG", "NO"], ["SCRIPT", "DEBUG", "maybe"], ["SCRIPT", "HELP"], ["SCRIPT", "NOSUCH"], ["EVAL"],
            ["SCRIPT", "EXISTS"],
        ];
        foreach (var command in commands)
        {
            await session.CompareAsync(command);
        }
    }

    [RedisTheory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task FunctionsMatchRedis(int protocol)
    {
        await using var session = await _fixture.OpenSessionAsync(protocol: protocol);
        await session.SendBothAsync(["FUNCTION", "FLUSH"]);
        await session.SendBothAsync(["FLUSHALL"]);
        string lib4 = "#!lua name=lib4\nredis.register_function{function_name='ro', callback=function(k, a) return redis.call('set', k[1], 'v') end, flags={'no-writes'}, description='desc'}\n"
            + "redis.register_function{function_name='rw', callback=function(k, a) return redis.call('set', k[1], 'v') end}\n"
            + "redis.register_function{function_name='get', callback=function(k, a) return redis.call('get', k[1]) end, flags={'no-writes', 'allow-oom'}}";
        object[][] commands =
        [
            ["FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)"],
            ["FUNCTION", "LOAD", "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 1 end)"],
            ["FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f1', function(keys, args) return 1 end)"],
            ["FUNCTION", "LOAD", "redis.register_function('f1', function(keys, args) return 1 end)"],
            ["FUNCTION", "LOAD", "#!js name=lib3\nfoo"], ["FUNCTION", "LOAD", "#!lua\nfoo"], ["FUNCTION", "LOAD", "#!lua name=lib3 foo=bar\nfoo"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\n"], ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.call('ping')"], ["FUNCTION", "LOAD", "#!lua name=lib3\nreturn 1 +"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nerror('boom')"], ["FUNCTION", "LOAD", "#!lua name=lib3\nx = 1"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('a b', function() end)"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('ab', 1)"], ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('ab')"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='ab', callback=function() return 1 end, flags={'bad'}}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='ab', callback=function() return 1 end, foo=1}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('ab', function() end) redis.register_function('ab', function() end)"],
            ["FUNCTION", "LOAD", "#!lua name=l-3\nredis.register_function('ab', function() end)"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='x', callback=function() end, flags='no-writes'}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{callback=function() return 1 end}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='x'}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function('x', function() end, 3)"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nlocal x = string"], ["FUNCTION", "LOAD", "#!lua name=lib3\nlocal x = redis.call"],
            // register_function's checks in Redis's order; the "#!" line split as sdssplitargs does.
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function({}, function() end)"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function({}, 1)"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name={}, callback=function() end}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='x', callback=function() end, description={}}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='x', callback=function() end, [{}]=1}"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function()"],
            ["FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function(1, function() return 'one' end)"], ["FCALL", "1", "0"],
            ["FUNCTION", "LOAD", "#!lua name=lib8\nredis.register_function{FUNCTION_NAME='up', Callback=function() return 'up' end, flags={'NO-WRITES'}}"],
            ["FCALL_RO", "up", "0"], ["FUNCTION", "LIST", "LIBRARYNAME", "lib8"],
            ["FUNCTION", "LOAD", "#!lua name=\"quoted\"\nredis.register_function('q', function() return 'q' end)"], ["FCALL", "q", "0"],
            ["FUNCTION", "LOAD", "#!lua name=\"open\nredis.register_function('q2', function() end)"],
            ["FUNCTION", "LOAD", "#!js name=a-b\nfoo"], ["FUNCTION", "LOAD", "#!LUA name=lib9\nredis.register_function('f9a', function() return 9 end)"],
            ["FUNCTION", "DELETE", "lib3"], ["FUNCTION", "DELETE", "lib8"], ["FUNCTION", "DELETE", "quoted"], ["FUNCTION", "DELETE", "lib9"],
            ["FUNCTION", "LOAD", lib4],
            ["FCALL", "ro", "1", "k"], ["FCALL", "rw", "1", "k"], ["FCALL_RO", "rw", "1", "k"], ["FCALL_RO", "get", "1", "k"],
            ["FCALL", "nosuch", "0"], ["FCALL", "f1", "1", "a", "b"], ["FCALL", "F1", "1", "a", "b"], ["FCALL", "f1", "3", "a", "b"], ["FCALL", "f1", "-1", "a", "b"], ["FCALL", "f1", "x"],
            // One function a library: Redis lists a library's functions in its dict's order.
            ["FUNCTION", "LIST", "LIBRARYNAME", "lib1"], ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib1"],
            ["FUNCTION", "LOAD", "#!lua name=lib7\nredis.register_function{function_name='f7', callback=function() return 7 end, flags={'no-writes', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys', 'allow-oom'}, description='seven'}"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "lib7"], ["FUNCTION", "DELETE", "lib7"],
            ["FUNCTION", "LIST", "LIBRARYNAME", "lib*", "LIBRARYNAME", "x"], ["FUNCTION", "LIST", "foo"], ["FUNCTION", "LIST", "LIBRARYNAME"],
            ["FUNCTION", "STATS"], ["FUNCTION", "DELETE", "nosuch"], ["FUNCTION", "DELETE", "lib4"], ["FUNCTION", "LIST"],
            ["FUNCTION", "KILL"], ["FUNCTION", "RESTORE", "garbage"], ["FUNCTION", "RESTORE", "garbage", "bad"], ["FUNCTION", "FLUSH", "bad"],
            ["FUNCTION", "FLUSH", "sync", "extra"], ["FUNCTION", "RESTORE", "a", "b", "c"],
            ["FUNCTION", "HELP"],
            ["FUNCTION", "LOAD", "#!lua name=lib5\nredis.register_function('e', function() error('x') end)\nredis.register_function('e2', function() return redis.call('incr', 'k') end)"],
            ["SET", "k", "notanumber"], ["FCALL", "e", "0"], ["FCALL", "e2", "0"], ["FCALL", "f1", "0"],
            ["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib1\nredis.register_function('f9', function() return redis.setresp(3) or {map={a=1}} end)"],
            ["FCALL", "f1", "0"], ["FCALL", "f9", "0"], ["FUNCTION", "LOAD", "REPLACE"],
            ["FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('keys', function() return KEYS end)"], ["FCALL", "keys", "0"],
        ];
        foreach (var command in commands)
        {
            await session.CompareAsync(command);
        }

        await session.SendBothAsync(["FUNCTION", "FLUSH"]);
    }

    // A payload FUNCTION DUMP wrote on one server restores on the other, both ways (Redis compresses with LZF).
    [RedisFact]
    public async Task FunctionDumpsRestoreAcrossServers()
    {
        await using var session = await _fixture.OpenSessionAsync();
        await session.SendBothAsync(["FUNCTION", "FLUSH"]);
        string code = "#!lua name=dumped\n-- " + new string('x', 200) + "\nredis.register_function('dumped_f', function(keys, args) return 'restored ' .. args[1] end)";
        await session.CompareAsync(["FUNCTION", "LOAD", code]);
        var fromRedis = await session.Redis.SendAsync("FUNCTION", "DUMP");
        var fromKv = await session.Kv.SendAsync("FUNCTION", "DUMP");
        await session.SendBothAsync(["FUNCTION", "FLUSH"]);

        Assert.Equal("+OK", (await session.Kv.SendAsync("FUNCTION", "RESTORE", fromRedis.Bytes!)).ToString());
        Assert.Equal("+OK", (await session.Redis.SendAsync("FUNCTION", "RESTORE", fromKv.Bytes!)).ToString());
        await session.CompareAsync(["FCALL", "dumped_f", "0", "ok"]);
        await session.CompareAsync(["FUNCTION", "RESTORE", fromRedis.Bytes!]);
        await session.CompareAsync(["FUNCTION", "RESTORE", fromRedis.Bytes!, "REPLACE"]);
        await session.CompareAsync(["FUNCTION", "RESTORE", fromRedis.Bytes!, "FLUSH"]);
        await session.SendBothAsync(["FUNCTION", "FLUSH"]);
    }
}
