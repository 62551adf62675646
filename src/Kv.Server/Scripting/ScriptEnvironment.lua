-- The environment Redis 7.0 gives scripts (script_lua.c, function_lua.c), rebuilt on Lua 5.4.
-- Run once per Lua state with (natives, null, mode); returns the handles the engine keeps.
-- Natives never raise a Lua error (a longjmp across .NET frames is fatal): they return a status and
-- the wrappers here raise. Frames of this chunk are skipped when the error handler finds the
-- script's line, so errors point at the user's code as Redis's do.
local n, null, mode = ...

local INTERNAL = debug.getinfo(1, 'S').source
local getinfo, sethook = debug.getinfo, debug.sethook
local error, type, tostring, tonumber, select, next, pairs, ipairs = error, type, tostring, tonumber, select, next, pairs, ipairs
local rawget, rawset, rawequal, rawlen, setmetatable, getmetatable = rawget, rawset, rawequal, rawlen, setmetatable, getmetatable
local pcall, xpcall, load, assert, collectgarbage = pcall, xpcall, load, assert, collectgarbage
local string, table, math, coroutine = string, table, math, coroutine
local sformat, ssub, sbyte, schar, sfind, srep, sgsub = string.format, string.sub, string.byte, string.char, string.find, string.rep, string.gsub
local spack, sunpack = string.pack, string.unpack
local tconcat, tunpack, tsort = table.concat, table.unpack, table.sort
local mtype, mfloor, mhuge = math.type, math.floor, math.huge

-- Read-only tables ----------------------------------------------------------------------------

-- Each read-only view and the table behind it (rawget reads through; getmetatable and setmetatable see
-- Redis's read-only table, not the view's machinery).
local protected = setmetatable({}, { __mode = 'k' })

local function readonly_error()
  error('Attempt to modify a readonly table', 2)
end

-- A read-only view of t: reads go through, writes raise Redis's error, pairs still iterates.
local function readonly(t)
  local view = setmetatable({}, {
    __index = t,
    __newindex = readonly_error,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
  protected[view] = t
  return view
end

local function nonexistent(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end

-- The error handler (Redis's __redis__err__handler): a table {err=, source=, line=} -------------

local function handler(e)
  local level = 2
  local info = getinfo(level, 'Sl')
  while info and (info.what == 'C' or info.source == INTERNAL) do
    level = level + 1
    info = getinfo(level, 'Sl')
  end
  if type(e) == 'string' then
    -- Lua 5.4 words runtime errors "attempt to index a nil value (local 'x')"; 5.1 (Redis) "attempt to index local 'x' (a nil value)".
    e = sgsub(e, "attempt to ([%w ]-) an? (%w+) value %((%w+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)")
  end
  if type(e) ~= 'table' then
    e = { err = 'ERR ' .. tostring(e) }
  end
  if info then
    rawset(e, 'source', info.source)
    rawset(e, 'line', info.currentline)
  end
  return e
end

-- Redis's luaPushErrorBuff: "-CODE msg" keeps its code, anything else gets ERR; ends trimmed.
local function error_table(text)
  local code, msg
  if ssub(text, 1, 1) == '-' then
    local space = sfind(text, ' ', 1, true)
    if space then
      code, msg = ssub(text, 2, space - 1), ssub(text, space + 1)
    else
      code, msg = 'ERR', ssub(text, 2)
    end
  else
    code, msg = 'ERR', text
  end
  msg = sgsub(sgsub(msg, '^[\r\n]+', ''), '[\r\n]+$', '')
  return { err = code .. ' ' .. msg }
end

local function raise_if_failed(ok, ...)
  if not ok then
    error((...), 0)
  end
  return ...
end

-- redis.* ------------------------------------------------------------------------------------

local ncall = n.call
local redis = {}

function redis.call(...)
  local ok, value = ncall(true, ...)
  if not ok then
    error(value, 0)
  end
  return value
end

function redis.pcall(...)
  local ok, value = ncall(false, ...)
  if not ok then
    error(value, 0)
  end
  return value
end

function redis.error_reply(...)
  local text = ...
  if select('#', ...) ~= 1 or type(text) ~= 'string' then
    return error_table('wrong number or type of arguments')
  end
  if ssub(text, 1, 1) ~= '-' then
    text = '-' .. text
  end
  return error_table(text)
end

function redis.status_reply(...)
  local text = ...
  if select('#', ...) ~= 1 or (type(text) ~= 'string' and type(text) ~= 'number') then
    return error_table('wrong number or type of arguments')
  end
  return { ok = text }
end

function redis.sha1hex(...)
  if select('#', ...) ~= 1 then
    error('wrong number of arguments', 0)
  end
  local value = ...
  if type(value) == 'number' then
    value = tostring(value)
  elseif type(value) ~= 'string' then
    value = ''
  end
  return n.sha1hex(value)
end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3

function redis.log(...)
  local count = select('#', ...)
  if count < 2 then
    error('redis.log() requires two arguments or more.', 0)
  end
  local level = ...
  if type(level) ~= 'number' then
    error('First argument must be a number', 0)
  end
  if level < 0 or level > 3 then
    error('Invalid debug level.', 0)
  end
  local parts = {}
  for i = 2, count do
    local part = select(i, ...)
    if type(part) == 'string' or type(part) == 'number' then
      parts[#parts + 1] = part
    end
  end
  n.log(mfloor(level), tconcat(parts, ' '))
end

function redis.setresp(...)
  if select('#', ...) ~= 1 then
    error('redis.setresp() requires one argument.', 0)
  end
  local resp = tonumber((...))
  if resp ~= 2 and resp ~= 3 then
    error('RESP version must be 2 or 3.', 0)
  end
  n.setresp(mfloor(resp))
end

redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3

function redis.set_repl(...)
  if select('#', ...) ~= 1 then
    error('redis.set_repl() requires two arguments.', 0)
  end
  local flags = tonumber((...))
  if flags == nil or flags < 0 or flags > 3 or flags ~= mfloor(flags) then
    error('Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.', 0)
  end
end

function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end

function redis.acl_check_cmd(...)
  return raise_if_failed(n.acl_check(...))
end

redis.REDIS_VERSION = '7.0.15'
redis.REDIS_VERSION_NUM = 0x07000f

-- bit, struct, cjson, cmsgpack (ScriptLibraries.lua): read-only views whose tables are filled when a
-- script first touches any of them -------------------------------------------------------------

local lazy = {}
local lazy_backing = setmetatable({}, { __mode = 'k' })
local libraries_loaded = false

local function load_libraries()
  if libraries_loaded then return end
  local libraries = n.libraries()(null)
  for name, entry in next, lazy do
    for k, v in next, libraries[name] do entry.backing[k] = v end
    entry.meta.__index = entry.backing
  end
  -- lua-cjson's cjson.new makes another instance; one (read-only) instance serves here.
  lazy.cjson.backing.new = function() return lazy.cjson.view end
  libraries_loaded = true
end

local function lazy_readonly(name)
  local backing = {}
  local meta = {
    __index = function(_, k) load_libraries() return backing[k] end,
    __newindex = readonly_error,
    __pairs = function() load_libraries() return next, backing, nil end,
    __len = function() load_libraries() return #backing end,
    __metatable = false,
  }
  local view = setmetatable({}, meta)
  protected[view] = backing
  lazy_backing[backing] = true
  lazy[name] = { view = view, backing = backing, meta = meta }
  return view
end

-- Lua 5.1 as scripts know it --------------------------------------------------------------------

local function tostring51(value)
  if mtype(value) == 'float' then
    return sformat('%.14g', value)
  end
  return tostring(value)
end

-- Redis 7.0's pcall hands back an error table's err string, so scripts see text, not a table.
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'table' and type(rawget(e, 'err')) == 'string' then
    return false, rawget(e, 'err')
  end
  return false, e
end

local function pcall51(f, ...)
  return pcall_result(pcall(f, ...))
end

-- Lua 5.1's libraries as scripts see them: exactly their functions (pairs lists Redis's), from 5.4's
-- where the name survived.
local function lib51(source, names, extra)
  local lib = {}
  for name in sgsub(names, '%s+', ' '):gmatch('%S+') do lib[name] = source[name] end
  for name, value in next, extra do lib[name] = value end
  return lib
end

local math51 = lib51(math, 'abs acos asin atan ceil cos deg exp floor fmod huge log max min modf pi rad random randomseed sin sqrt tan', {
  log = function(x) return math.log(x) end,
  pow = function(x, y) return x ^ y end,
  mod = math.fmod,
  log10 = function(x) return math.log(x, 10) end,
  ldexp = function(m, e) return m * 2.0 ^ e end,
  frexp = function(x)
    if x == 0 or x ~= x or x == mhuge or x == -mhuge then return x, 0 end
    local e = mfloor(math.log(math.abs(x), 2)) + 1
    local m = x / 2.0 ^ e
    if math.abs(m) >= 1 then m = m / 2 e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2 e = e - 1 end
    return m, e
  end,
  cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end,
  sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end,
  tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end,
  atan2 = function(y, x) return math.atan(y, x) end,
})

local table51 = lib51(table, 'insert remove sort', {
  -- Lua 5.1's table.concat writes numbers with %.14g: 0.0 as "0", where 5.4 writes "0.0".
  concat = function(t, sep, i, j)
    if type(t) == 'table' and (i == nil or type(i) == 'number') and (j == nil or type(j) == 'number') then
      local first, last = i or 1, j or #t
      for k = first, last do
        if mtype(rawget(t, k)) == 'float' then
          local copy = {}
          for m = first, last do
            local v = rawget(t, m)
            copy[m - first + 1] = mtype(v) == 'float' and tostring51(v) or v
          end
          return tconcat(copy, sep, 1, last - first + 1)
        end
      end
    end
    return tconcat(t, sep, i, j)
  end,
  getn = function(t) return #t end,
  setn = function() error("'setn' is obsolete", 2) end,
  maxn = function(t)
    local max = 0
    for k in next, t do if type(k) == 'number' and k > max then max = k end end
    return max
  end,
  foreach = function(t, f) for k, v in next, t do local r = f(k, v) if r ~= nil then return r end end end,
  foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end,
})

local string51 = lib51(string, 'byte char dump find format gmatch gsub len lower match rep reverse sub upper', { gfind = string.gmatch })

-- Globals -------------------------------------------------------------------------------------

local env = {}
local globals = {}

local function text_only_load(chunk, name)
  return load(chunk, name, 't', env)
end

globals._G = env
globals._VERSION = 'Lua 5.1'
globals.__redis__err__handler = handler
globals.assert = assert
globals.collectgarbage = collectgarbage
globals.coroutine = readonly(coroutine)
-- Lua 5.1's error also prefixes the position to a number message.
globals.error = function(message, level)
  level = level or 1
  if type(message) == 'number' then message = tostring51(message) end
  if level > 0 then level = level + 1 end
  error(message, level)
end
globals.gcinfo = function() return mfloor(collectgarbage('count')) end
globals.ipairs = ipairs
globals.load = text_only_load
globals.loadstring = text_only_load
globals.math = readonly(math51)
globals.next = next
globals.pairs = pairs
globals.pcall = pcall51
globals.rawequal = rawequal
globals.select = select
globals.string = readonly(string51)
globals.table = readonly(table51)
globals.tonumber = tonumber
globals.tostring = tostring51
globals.type = type
globals.unpack = tunpack
globals.xpcall = xpcall
globals.bit = lazy_readonly('bit')
globals.cjson = lazy_readonly('cjson')
globals.cmsgpack = lazy_readonly('cmsgpack')
globals.struct = lazy_readonly('struct')
globals.redis = readonly(redis)
setmetatable(globals, { __index = nonexistent, __metatable = false })

local env_meta = {
  __index = globals,
  __newindex = readonly_error,
  __pairs = function() return next, globals, nil end,
  __metatable = false,
}
setmetatable(env, env_meta)
protected[env] = globals

-- Redis makes _G's metatable (an __index raising for unknown globals) and the strings' metatable
-- read-only; scripts get read-only stand-ins, so nothing they do reaches the real ones (which every
-- later script shares). Other protected tables have no metatable to show.
local shown_metatables = {
  [env] = readonly({ __index = nonexistent }),
}
local string_metatable = readonly({ __index = globals.string })

local function check_table(name, t)
  if type(t) ~= 'table' then
    error("bad argument #1 to '" .. name .. "' (table expected, got " .. (t == nil and 'nil' or type(t)) .. ')', 3)
  end
end

globals.getmetatable = function(...)
  local t = ...
  if protected[t] then return shown_metatables[t] end
  if type(t) == 'string' then return string_metatable end
  return getmetatable(...)
end
-- The read-only check comes after the __metatable one, as in Redis's patched lua_setmetatable.
globals.setmetatable = function(t, mt)
  check_table('setmetatable', t)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return setmetatable(t, mt)
end
globals.rawget = function(t, k)
  check_table('rawget', t)
  local backing = protected[t]
  if backing and lazy_backing[backing] then load_libraries() end
  return rawget(backing or t, k)
end
globals.rawset = function(t, k, v)
  check_table('rawset', t)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end

-- Functions: while a library loads, its code sees only redis.register_function, redis.log and the
-- version (Redis's library API); afterwards its functions run with the globals above.
local registering
local library_api = setmetatable({
  redis = readonly(setmetatable({
    register_function = function(...) return registering(...) end,
    log = redis.log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = redis.REDIS_VERSION,
    REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
  }, { __index = nonexistent })),
}, { __index = nonexistent, __metatable = false })

local function name_ok(name)
  return type(name) == 'string' and #name > 0 and not sfind(name, '[^%w_]')
end

local flag_names = { ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8, ['allow-cross-slot-keys'] = 16 }

-- luaGetStringSds: a string, or a number as Lua 5.1's lua_tolstring writes it; else nil.
local function string_arg(value)
  if type(value) == 'string' then return value end
  if type(value) == 'number' then return tostring51(value) end
  return nil
end

-- luaRegisterFunctionReadFlags: t[1], t[2]… up to the first nil, each a known flag (any case).
local function read_flags(t)
  local bits, j = 0, 1
  while true do
    local value = t[j]
    if value == nil then return bits end
    local b = string_arg(value) and flag_names[string.lower(string_arg(value))]
    if not b then error('unknown flag given', 0) end
    bits = bits | b
    j = j + 1
  end
end

-- Redis's luaRegisterFunction: its checks and their texts in its order (function_lua.c).
local function register_function(...)
  local count = select('#', ...)
  if count < 1 or count > 2 then
    error('wrong number of arguments to redis.register_function', 0)
  end
  local name, callback, flags, description = nil, nil, 0, nil
  if count == 1 then
    local args = ...
    if type(args) ~= 'table' then
      error('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).', 0)
    end
    for k, v in next, args do
      local key = string_arg(k)
      if not key then error('named argument key given to redis.register_function is not a string', 0) end
      key = string.lower(key)
      if key == 'function_name' then
        name = string_arg(v)
        if not name then error('function_name argument given to redis.register_function must be a string', 0) end
      elseif key == 'description' then
        description = string_arg(v)
        if not description then error('description argument given to redis.register_function must be a string', 0) end
      elseif key == 'callback' then
        if type(v) ~= 'function' then error('callback argument given to redis.register_function must be a function', 0) end
        callback = v
      elseif key == 'flags' then
        if type(v) ~= 'table' then error('flags argument to redis.register_function must be a table representing function flags', 0) end
        flags = read_flags(v)
      else
        error('unknown argument given to redis.register_function', 0)
      end
    end
    if name == nil then error('redis.register_function must get a function name argument', 0) end
    if callback == nil then error('redis.register_function must get a callback argument', 0) end
  else
    local first, second = ...
    name = string_arg(first)
    if not name then error('first argument to redis.register_function must be a string', 0) end
    if type(second) ~= 'function' then error('second argument to redis.register_function must be a function', 0) end
    callback = second
  end
  if not name_ok(name) then
    error('Library names can only contain letters, numbers, or underscores(_) and must be at least one character long', 0)
  end
  raise_if_failed(n.register(name, callback, flags, description))
end

local handles = {
  env = env,
  globals = globals,
  handler = handler,
  -- Compiles a script body or library code against the sandbox (text only: no bytecode).
  compile = function(code, name) return load(code, name, 't', env) end,
  -- Runs a library's code with the library API, collecting its functions through n.register.
  load_library = function(chunk)
    env_meta.__index = library_api
    registering = register_function
    local ok, e = xpcall(chunk, handler)
    registering = function() error('redis.register_function can only be called on FUNCTION LOAD command', 0) end
    env_meta.__index = globals
    if not ok then return e end
    return nil
  end,
}

-- SCRIPT KILL / FUNCTION KILL and FUNCTION LOAD's timeout: every 100000 instructions ask whether to
-- stop, as Redis's luaMaskCountHook. Once stopping, the hook fires on every line so pcall cannot
-- swallow it. The error is raised only in the user's code: in this chunk's frames (load_library
-- restoring the globals, a wrapper between two steps) it would leave the environment half switched.
local killed = n.killed
local function line_hook()
  if getinfo(2, 'S').source == INTERNAL then return end
  local message = killed()
  if message then error({ err = message }, 0) end
end
local function count_hook()
  local message = killed()
  if message then
    sethook(line_hook, 'l')
    if getinfo(2, 'S').source ~= INTERNAL then error({ err = message }, 0) end
  end
end
handles.reset_hook = function() sethook(count_hook, '', 100000) end
handles.reset_hook()

if mode == 'function' then
  globals.KEYS = nil
  globals.ARGV = nil
end

return handles
