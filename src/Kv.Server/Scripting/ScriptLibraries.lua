-- The libraries Redis bundles for scripts: bit, struct, cjson and cmsgpack, rebuilt on Lua 5.4.
-- Loaded into a Lua state only when a script first touches one of them (ScriptEnvironment.lua's
-- lazy_readonly): most scripts never do, and their code is a good part of a state's memory.
-- Run with (null); returns the four library tables.
local null = ...

local error, type, tostring, tonumber, select, next, pairs, ipairs = error, type, tostring, tonumber, select, next, pairs, ipairs
local rawget, rawequal = rawget, rawequal
local pcall = pcall
local string, table, math = string, table, math
local sformat, ssub, sbyte, schar, sfind, srep, sgsub = string.format, string.sub, string.byte, string.char, string.find, string.rep, string.gsub
local spack, sunpack = string.pack, string.unpack
local tconcat, tunpack = table.concat, table.unpack
local mtype, mfloor, mhuge = math.type, math.floor, math.huge

-- bit (LuaBitOp: 32-bit operations, results as signed 32-bit numbers) ---------------------------

local function tobit(x)
  x = tonumber(x)
  if x == nil then error("bad argument #1 to 'tobit' (number expected)", 2) end
  if mtype(x) == 'float' then
    -- LuaBitOp adds 2^52+2^51 and keeps the low 32 bits: round half to even, then wrap.
    if x ~= x or x == mhuge or x == -mhuge then return 0 end
    local r = mfloor(x + 0.5)
    if r - x == 0.5 and r % 2 ~= 0 then r = r - 1 end
    x = mfloor(r % 4294967296)
    x = math.tointeger(x)
  end
  x = x & 0xffffffff
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end

local function u32(x) return tobit(x) & 0xffffffff end

local bit = {
  tobit = tobit,
  bnot = function(x) return tobit(~u32(x)) end,
  band = function(x, ...) local r = u32(x) for i = 1, select('#', ...) do r = r & u32((select(i, ...))) end return tobit(r) end,
  bor = function(x, ...) local r = u32(x) for i = 1, select('#', ...) do r = r | u32((select(i, ...))) end return tobit(r) end,
  bxor = function(x, ...) local r = u32(x) for i = 1, select('#', ...) do r = r ~ u32((select(i, ...))) end return tobit(r) end,
  lshift = function(x, n) return tobit(u32(x) << (u32(n) & 31)) end,
  rshift = function(x, n) return tobit(u32(x) >> (u32(n) & 31)) end,
  arshift = function(x, n) return tobit(tobit(x) >> (u32(n) & 31) | (tobit(x) < 0 and ~(0xffffffff >> (u32(n) & 31)) or 0)) end,
  rol = function(x, n) x = u32(x) n = u32(n) & 31 return tobit((x << n) | (x >> (32 - n))) end,
  ror = function(x, n) x = u32(x) n = u32(n) & 31 return tobit((x >> n) | (x << (32 - n))) end,
  bswap = function(x) x = u32(x) return tobit(((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24)) end,
  tohex = function(x, n)
    n = n == nil and 8 or tobit(n)
    local upper = false
    if n < 0 then n = -n upper = true end
    if n > 8 then n = 8 end
    local text = sformat(upper and '%08X' or '%08x', u32(x))
    return ssub(text, 9 - n)
  end,
}

-- struct (Roberto Ierusalimschy's struct library, mapped onto Lua 5.4's string.pack) -----------

local function struct_format(format)
  -- struct's 's' is a zero-terminated string, string.pack's 'z'; struct's 'c0' takes its size from the previous number.
  return (sgsub(format, 's', 'z'))
end

local struct = {
  pack = function(format, ...) return spack(struct_format(format), ...) end,
  unpack = function(format, data, position) return sunpack(struct_format(format), data, position) end,
  size = function(format) return string.packsize(struct_format(format)) end,
}

-- cjson (lua-cjson 2.1 as Redis bundles it) --------------------------------------------------

local json_escapes = { ['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
for i = 0, 31 do
  local c = schar(i)
  if not json_escapes[c] then json_escapes[c] = sformat('\\u%04x', i) end
end
json_escapes['\127'] = '\\u007f'

-- lua-cjson's settings (json_config_t), changed by cjson.encode_max_depth() and the like; they last
-- as long as the Lua state, as in Redis.
local json_cfg = {
  sparse_convert = false, sparse_ratio = 2, sparse_safe = 10, encode_max_depth = 1000, decode_max_depth = 1000,
  precision = 14, keep_buffer = true, encode_invalid = 0, decode_invalid = true,
}

-- json_append_number: encode_invalid_numbers off (0) refuses NaN and Inf, on (1) writes them, "null" (2) writes null.
local function json_number(x)
  if x ~= x or x == mhuge or x == -mhuge then
    if json_cfg.encode_invalid == 0 then error('Cannot serialise number: must not be NaN or Inf', 0) end
    if json_cfg.encode_invalid == 2 then return 'null' end
    if x ~= x then return 'nan' end
  end
  return sformat('%.' .. json_cfg.precision .. 'g', x)
end

local function json_string(s)
  return '"' .. sgsub(s, '[%c"\\/\127]', json_escapes) .. '"'
end

local json_encode_value

-- lua-cjson's lua_array_length: -1 for an object, else the array length (sparse arrays refused).
local function json_array_length(t)
  local max, items = 0, 0
  for k in next, t do
    if type(k) == 'number' and k > 0 and k == mfloor(k) then
      if k > max then max = k end
      items = items + 1
    else
      return -1
    end
  end
  if json_cfg.sparse_ratio > 0 and max > items * json_cfg.sparse_ratio and max > json_cfg.sparse_safe then
    if not json_cfg.sparse_convert then error('Cannot serialise table: excessively sparse array', 0) end
    return -1
  end
  return max
end

json_encode_value = function(value, depth, out)
  local t = type(value)
  if t == 'string' then
    out[#out + 1] = json_string(value)
  elseif t == 'number' then
    out[#out + 1] = json_number(value)
  elseif t == 'boolean' then
    out[#out + 1] = value and 'true' or 'false'
  elseif t == 'nil' or rawequal(value, null) then
    out[#out + 1] = 'null'
  elseif t == 'table' then
    depth = depth + 1
    if depth > json_cfg.encode_max_depth then
      error('Cannot serialise, excessive nesting (' .. depth .. ')', 0)
    end
    local length = json_array_length(value)
    if length > 0 then
      out[#out + 1] = '['
      for i = 1, length do
        if i > 1 then out[#out + 1] = ',' end
        json_encode_value(rawget(value, i), depth, out)
      end
      out[#out + 1] = ']'
    else
      out[#out + 1] = '{'
      local first = true
      for k, v in next, value do
        if not first then out[#out + 1] = ',' end
        first = false
        if type(k) == 'string' then
          out[#out + 1] = json_string(k)
        elseif type(k) == 'number' then
          out[#out + 1] = '"' .. json_number(k) .. '"'
        else
          error('Cannot serialise ' .. type(k) .. ': table key must be a number or string', 0)
        end
        out[#out + 1] = ':'
        json_encode_value(v, depth, out)
      end
      out[#out + 1] = '}'
    end
  else
    error('Cannot serialise ' .. t .. ': type not supported', 0)
  end
end

-- Raises a codec's error at the script's line, as lua-cjson's luaL_error does.
local function checked_codec(codec)
  return function(...)
    local ok, result = pcall(codec, ...)
    if not ok then error(result, 2) end
    return result
  end
end

local function json_encode(...)
  if select('#', ...) ~= 1 then error('expected 1 argument', 0) end
  local out = {}
  json_encode_value((...), 0, out)
  return tconcat(out)
end

local json_decode
do
  local text, position

  local function parse_error(expected, found)
    error('Expected ' .. expected .. ' but found ' .. found .. ' at character ' .. position, 0)
  end

  local function skip()
    position = sfind(text, '[^ \t\r\n]', position) or #text + 1
  end

  local function token_name()
    local c = ssub(text, position, position)
    if c == '' then return 'T_END' end
    if c == '{' then return 'T_OBJ_BEGIN' elseif c == '}' then return 'T_OBJ_END'
    elseif c == '[' then return 'T_ARR_BEGIN' elseif c == ']' then return 'T_ARR_END'
    elseif c == ':' then return 'T_COLON' elseif c == ',' then return 'T_COMMA'
    elseif c == '"' then return 'T_STRING' elseif sfind(c, '[%-%d]') then return 'T_NUMBER'
    elseif ssub(text, position, position + 3) == 'true' or ssub(text, position, position + 4) == 'false' then return 'T_BOOLEAN'
    elseif ssub(text, position, position + 3) == 'null' then return 'T_NULL' end
    return 'invalid token'
  end

  local function utf8_char(code)
    if code < 0x80 then return schar(code)
    elseif code < 0x800 then return schar(0xc0 | (code >> 6), 0x80 | (code & 0x3f))
    elseif code < 0x10000 then return schar(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f))
    end
    return schar(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f))
  end

  local unescapes = { ['"'] = '"', ['\\'] = '\\', ['/'] = '/', b = '\b', f = '\f', n = '\n', r = '\r', t = '\t' }

  local function parse_string()
    local start = position
    local parts = {}
    local i = position + 1
    while true do
      local j = sfind(text, '["\\]', i)
      if not j then position = start parse_error('value', 'invalid token') end
      parts[#parts + 1] = ssub(text, i, j - 1)
      if ssub(text, j, j) == '"' then
        position = j + 1
        return tconcat(parts)
      end
      local e = ssub(text, j + 1, j + 1)
      if e == 'u' then
        local code = tonumber(ssub(text, j + 2, j + 5), 16)
        if not code then position = start parse_error('value', 'invalid unicode escape code') end
        local next_i = j + 6
        if code >= 0xd800 and code <= 0xdbff and ssub(text, j + 6, j + 7) == '\\u' then
          local low = tonumber(ssub(text, j + 8, j + 11), 16)
          if low and low >= 0xdc00 and low <= 0xdfff then
            code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
            next_i = j + 12
          end
        end
        parts[#parts + 1] = utf8_char(code)
        i = next_i
      elseif unescapes[e] then
        parts[#parts + 1] = unescapes[e]
        i = j + 2
      else
        position = start
        parse_error('value', 'invalid escape code')
      end
    end
  end

  local parse_value

  local function parse_number()
    local s, e = sfind(text, '^-?%d+%.?%d*[eE]?[-+]?%d*', position)
    if not s then s, e = sfind(text, '^-?[%a%d%.]+', position) end
    local literal = ssub(text, s, e)
    local value = tonumber(literal)
    if value == nil then parse_error('value', 'invalid number') end
    -- Lua 5.1 has only doubles and prints 0.0 as "0"; an integral value as a 5.4 integer prints the same.
    value = math.tointeger(value) or value
    position = e + 1
    return value
  end

  parse_value = function(depth)
    skip()
    local c = ssub(text, position, position)
    if c == '{' then
      if depth >= json_cfg.decode_max_depth then error('Found too many nested data structures (' .. (depth + 1) .. ') at character ' .. position, 0) end
      position = position + 1
      local object = {}
      skip()
      if ssub(text, position, position) == '}' then position = position + 1 return object end
      while true do
        skip()
        if ssub(text, position, position) ~= '"' then parse_error('object key string', token_name()) end
        local key = parse_string()
        skip()
        if ssub(text, position, position) ~= ':' then parse_error('colon', token_name()) end
        position = position + 1
        object[key] = parse_value(depth + 1)
        skip()
        c = ssub(text, position, position)
        position = position + 1
        if c == '}' then return object end
        if c ~= ',' then position = position - 1 parse_error('comma or object end', token_name()) end
      end
    elseif c == '[' then
      if depth >= json_cfg.decode_max_depth then error('Found too many nested data structures (' .. (depth + 1) .. ') at character ' .. position, 0) end
      position = position + 1
      local array = {}
      skip()
      if ssub(text, position, position) == ']' then position = position + 1 return array end
      local count = 0
      while true do
        count = count + 1
        array[count] = parse_value(depth + 1)
        skip()
        c = ssub(text, position, position)
        position = position + 1
        if c == ']' then return array end
        if c ~= ',' then position = position - 1 parse_error('comma or array end', token_name()) end
      end
    elseif c == '"' then
      return parse_string()
    elseif c == '-' or sfind(c, '%d') then
      return parse_number()
    elseif ssub(text, position, position + 3) == 'true' then
      position = position + 4 return true
    elseif ssub(text, position, position + 4) == 'false' then
      position = position + 5 return false
    elseif ssub(text, position, position + 3) == 'null' then
      position = position + 4 return null
    end
    parse_error('value', token_name())
  end

  json_decode = function(...)
    if select('#', ...) ~= 1 then error('expected 1 argument', 0) end
    text = ...
    if type(text) == 'number' then text = tostring(text) end
    if type(text) ~= 'string' then error("bad argument #1 to 'decode' (string expected, got " .. type(text) .. ')', 0) end
    position = 1
    local value = parse_value(0)
    skip()
    if position <= #text then parse_error('the end', token_name()) end
    return value
  end
end

-- The checks of lua-cjson's configuration functions (json_arg_init, json_integer_option, json_enum_option);
-- raised at the script's line as luaL_argerror does.
local json_on_off = { 'off', 'on' }

local function json_cfg_arguments(name, count, ...)
  if select('#', ...) > count then
    error("bad argument #" .. (count + 1) .. " to '" .. name .. "' (found too many arguments)", 3)
  end
end

local function json_integer_option(name, index, value, current, min, max)
  if value == nil then return current end
  local number = tonumber(value)
  if number == nil then
    error("bad argument #" .. index .. " to '" .. name .. "' (number expected, got " .. type(value) .. ")", 3)
  end
  number = math.tointeger(number < 0 and math.ceil(number) or mfloor(number)) or 0
  if number < min or number > max then
    error("bad argument #1 to '" .. name .. "' (expected integer between " .. min .. " and " .. max .. ")", 3)
  end
  return number
end

-- Returns the option's index (0-based); a boolean is off/on.
local function json_enum_option(name, value, current, options)
  if value == nil then return current end
  if type(value) == 'boolean' then return value and 1 or 0 end
  for i = 1, #options do
    if value == options[i] then return i - 1 end
  end
  if type(value) ~= 'string' then
    error("bad argument #1 to '" .. name .. "' (string expected, got " .. type(value) .. ")", 3)
  end
  error("bad argument #1 to '" .. name .. "' (invalid option '" .. value .. "')", 3)
end

local cjson = {
  encode = checked_codec(json_encode),
  decode = checked_codec(json_decode),
  null = null,
  _NAME = 'cjson',
  _VERSION = '2.1.0',
  encode_sparse_array = function(...)
    json_cfg_arguments('encode_sparse_array', 3, ...)
    local convert, ratio, safe = ...
    json_cfg.sparse_convert = json_enum_option('encode_sparse_array', convert, json_cfg.sparse_convert and 1 or 0, json_on_off) == 1
    json_cfg.sparse_ratio = json_integer_option('encode_sparse_array', 2, ratio, json_cfg.sparse_ratio, 0, 2147483647)
    json_cfg.sparse_safe = json_integer_option('encode_sparse_array', 3, safe, json_cfg.sparse_safe, 0, 2147483647)
    return json_cfg.sparse_convert, json_cfg.sparse_ratio, json_cfg.sparse_safe
  end,
  encode_max_depth = function(...)
    json_cfg_arguments('encode_max_depth', 1, ...)
    json_cfg.encode_max_depth = json_integer_option('encode_max_depth', 1, (...), json_cfg.encode_max_depth, 1, 2147483647)
    return json_cfg.encode_max_depth
  end,
  decode_max_depth = function(...)
    json_cfg_arguments('decode_max_depth', 1, ...)
    json_cfg.decode_max_depth = json_integer_option('decode_max_depth', 1, (...), json_cfg.decode_max_depth, 1, 2147483647)
    return json_cfg.decode_max_depth
  end,
  encode_number_precision = function(...)
    json_cfg_arguments('encode_number_precision', 1, ...)
    json_cfg.precision = json_integer_option('encode_number_precision', 1, (...), json_cfg.precision, 1, 14)
    return json_cfg.precision
  end,
  encode_keep_buffer = function(...)
    json_cfg_arguments('encode_keep_buffer', 1, ...)
    json_cfg.keep_buffer = json_enum_option('encode_keep_buffer', (...), json_cfg.keep_buffer and 1 or 0, json_on_off) == 1
    return json_cfg.keep_buffer
  end,
  encode_invalid_numbers = function(...)
    json_cfg_arguments('encode_invalid_numbers', 1, ...)
    json_cfg.encode_invalid = json_enum_option('encode_invalid_numbers', (...), json_cfg.encode_invalid, { 'off', 'on', 'null' })
    if json_cfg.encode_invalid == 2 then return 'null' end
    return json_cfg.encode_invalid == 1
  end,
  decode_invalid_numbers = function(...)
    json_cfg_arguments('decode_invalid_numbers', 1, ...)
    json_cfg.decode_invalid = json_enum_option('decode_invalid_numbers', (...), json_cfg.decode_invalid and 1 or 0, json_on_off) == 1
    return json_cfg.decode_invalid
  end,
}

-- cmsgpack (lua-cmsgpack 0.4 as Redis bundles it) --------------------------------------------

local msgpack_encode

local function msgpack_integer(x, out)
  if x >= 0 then
    if x < 128 then out[#out + 1] = schar(x)
    elseif x < 256 then out[#out + 1] = spack('>BB', 0xcc, x)
    elseif x < 65536 then out[#out + 1] = spack('>BI2', 0xcd, x)
    elseif x < 4294967296 then out[#out + 1] = spack('>BI4', 0xce, x)
    else out[#out + 1] = spack('>Bi8', 0xcf, x) end
  else
    if x >= -32 then out[#out + 1] = schar(0xe0 | (x + 32))
    elseif x >= -128 then out[#out + 1] = spack('>Bi1', 0xd0, x)
    elseif x >= -32768 then out[#out + 1] = spack('>Bi2', 0xd1, x)
    elseif x >= -2147483648 then out[#out + 1] = spack('>Bi4', 0xd2, x)
    else out[#out + 1] = spack('>Bi8', 0xd3, x) end
  end
end

-- lua-cmsgpack's table_is_an_array: keys 1..n, nothing else.
local function msgpack_array_length(t)
  local count, max = 0, 0
  for k in next, t do
    if type(k) ~= 'number' or k <= 0 or k ~= mfloor(k) then return nil end
    count = count + 1
    if k > max then max = k end
  end
  if max ~= count then return nil end
  return count
end

msgpack_encode = function(value, depth, out)
  local t = type(value)
  if t == 'string' then
    local length = #value
    if length < 32 then out[#out + 1] = schar(0xa0 | length)
    elseif length < 256 then out[#out + 1] = spack('>BB', 0xd9, length)
    elseif length < 65536 then out[#out + 1] = spack('>BI2', 0xda, length)
    else out[#out + 1] = spack('>BI4', 0xdb, length) end
    out[#out + 1] = value
  elseif t == 'boolean' then
    out[#out + 1] = value and '\xc3' or '\xc2'
  elseif t == 'number' then
    local integer = math.tointeger(value)
    if integer then
      msgpack_integer(integer, out)
    elseif spack('f', value) and sunpack('f', spack('f', value)) == value then
      out[#out + 1] = spack('>Bf', 0xca, value)
    else
      out[#out + 1] = spack('>Bd', 0xcb, value)
    end
  elseif t == 'table' and depth < 16 then
    local length = msgpack_array_length(value)
    if length then
      if length < 16 then out[#out + 1] = schar(0x90 | length)
      elseif length < 65536 then out[#out + 1] = spack('>BI2', 0xdc, length)
      else out[#out + 1] = spack('>BI4', 0xdd, length) end
      for i = 1, length do msgpack_encode(rawget(value, i), depth + 1, out) end
    else
      local count = 0
      for _ in next, value do count = count + 1 end
      if count < 16 then out[#out + 1] = schar(0x80 | count)
      elseif count < 65536 then out[#out + 1] = spack('>BI2', 0xde, count)
      else out[#out + 1] = spack('>BI4', 0xdf, count) end
      for k, v in next, value do
        msgpack_encode(k, depth + 1, out)
        msgpack_encode(v, depth + 1, out)
      end
    end
  else
    out[#out + 1] = '\xc0'
  end
end

local msgpack_decode
msgpack_decode = function(data, position)
  local c = sbyte(data, position)
  if c == nil then error('Missing bytes in input.', 0) end
  local function need(count)
    if position + count > #data then error('Missing bytes in input.', 0) end
  end
  if c < 0x80 then return c, position + 1
  elseif c >= 0xe0 then return c - 256, position + 1
  elseif c >= 0xa0 and c <= 0xbf then
    local length = c & 0x1f
    need(length)
    return ssub(data, position + 1, position + length), position + 1 + length
  elseif c >= 0x90 and c <= 0x9f or c == 0xdc or c == 0xdd then
    local length
    if c == 0xdc then need(2) length = sunpack('>I2', data, position + 1) position = position + 3
    elseif c == 0xdd then need(4) length = sunpack('>I4', data, position + 1) position = position + 5
    else length = c & 0x0f position = position + 1 end
    local array = {}
    for i = 1, length do array[i], position = msgpack_decode(data, position) end
    return array, position
  elseif c >= 0x80 and c <= 0x8f or c == 0xde or c == 0xdf then
    local length
    if c == 0xde then need(2) length = sunpack('>I2', data, position + 1) position = position + 3
    elseif c == 0xdf then need(4) length = sunpack('>I4', data, position + 1) position = position + 5
    else length = c & 0x0f position = position + 1 end
    local map = {}
    for _ = 1, length do
      local k, v
      k, position = msgpack_decode(data, position)
      v, position = msgpack_decode(data, position)
      if k ~= nil then map[k] = v end
    end
    return map, position
  elseif c == 0xc0 then return nil, position + 1
  elseif c == 0xc2 then return false, position + 1
  elseif c == 0xc3 then return true, position + 1
  end
  local formats = {
    [0xca] = '>f', [0xcb] = '>d', [0xcc] = '>B', [0xcd] = '>I2', [0xce] = '>I4', [0xcf] = '>i8',
    [0xd0] = '>i1', [0xd1] = '>i2', [0xd2] = '>i4', [0xd3] = '>i8',
  }
  local format = formats[c]
  if format then
    need(string.packsize(format))
    local value, after = sunpack(format, data, position + 1)
    return value, after
  end
  local lengths = { [0xd9] = '>B', [0xda] = '>I2', [0xdb] = '>I4', [0xc4] = '>B', [0xc5] = '>I2', [0xc6] = '>I4' }
  format = lengths[c]
  if format then
    need(string.packsize(format))
    local length, start = sunpack(format, data, position + 1)
    if start + length - 1 > #data then error('Missing bytes in input.', 0) end
    return ssub(data, start, start + length - 1), start + length
  end
  error('Bad data format in input.', 0)
end

local function msgpack_pack(...)
  local count = select('#', ...)
  if count == 0 then error('MessagePack pack needs input.', 0) end
  local out = {}
  for i = 1, count do msgpack_encode((select(i, ...)), 0, out) end
  return tconcat(out)
end

local function msgpack_unpack_limit(data, limit, offset)
  if type(data) ~= 'string' then error("bad argument #1 to 'unpack' (string expected, got " .. type(data) .. ')', 0) end
  local results, count = {}, 0
  local position = (offset or 0) + 1
  while position <= #data and (limit == 0 or count < limit) do
    count = count + 1
    results[count], position = msgpack_decode(data, position)
  end
  return results, count, position
end

local cmsgpack = {
  pack = checked_codec(msgpack_pack),
  unpack = function(data)
    local ok, results, count = pcall(msgpack_unpack_limit, data, 0, 0)
    if not ok then error(results, 2) end
    return tunpack(results, 1, count)
  end,
  unpack_one = function(data, offset)
    local ok, results, count, position = pcall(msgpack_unpack_limit, data, 1, offset)
    if not ok then error(results, 2) end
    return position > #data and -1 or position - 1, tunpack(results, 1, count)
  end,
  unpack_limit = function(data, limit, offset)
    local ok, results, count, position = pcall(msgpack_unpack_limit, data, limit, offset)
    if not ok then error(results, 2) end
    return position > #data and -1 or position - 1, tunpack(results, 1, count)
  end,
  _NAME = 'cmsgpack',
  _VERSION = 'lua-cmsgpack 0.4.0',
  _COPYRIGHT = 'Copyright (C) 2012, Salvatore Sanfilippo',
  _DESCRIPTION = 'MessagePack C implementation for Lua',
}

return { bit = bit, struct = struct, cjson = cjson, cmsgpack = cmsgpack }
