#!lua name=jotter_worker
-- The flush workers' functions, loaded by every worker at start with
-- FUNCTION LOAD REPLACE. Versions are decimal strings and are never turned
-- into Lua numbers (doubles lose precision above 2^53): they are compared
-- as strings of digits, by length and then by bytes (`below` and
-- `raise_clock` of versions.lua, which prepare.rs puts first, with
-- `fields_of`).

local VERSIONS = '{jotter}:ver'
local STORED = '{jotter}:stored'

-- A stream's state and entries: last id, entries added, max deleted id,
-- then its entries as XRANGE gives them.
local function stream_of(key)
  local info = redis.call('XINFO', 'STREAM', key)
  local last, added, deleted = '0-0', 0, '0-0'
  for i = 1, #info, 2 do
    local name = info[i]
    if name == 'last-generated-id' then
      last = info[i + 1]
    elseif name == 'entries-added' then
      added = info[i + 1]
    elseif name == 'max-deleted-entry-id' then
      deleted = info[i + 1]
    end
  end
  return { last, tostring(added), deleted, redis.call('XRANGE', key, '-', '+') }
end

-- jotter_read KEY...: for each key, in one atomic step, its version (from
-- {jotter}:ver, nil if none), its type ('none' if it does not exist), its
-- PEXPIRETIME and its value: a string's bytes, a hash's field/value pairs,
-- a set's members, a sorted set's member/score pairs (scores as Redis
-- prints them, exact), a list's elements in order, a stream's state and
-- entries.
local function read(keys)
  local out = {}
  for i, key in ipairs(keys) do
    local version = redis.call('HGET', VERSIONS, key)
    local kind = redis.call('TYPE', key)['ok']
    local value = {}
    if kind == 'string' then
      value = { redis.call('GET', key) }
    elseif kind == 'hash' then
      value = redis.call('HGETALL', key)
    elseif kind == 'set' then
      value = redis.call('SMEMBERS', key)
    elseif kind == 'zset' then
      value = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    elseif kind == 'list' then
      value = redis.call('LRANGE', key, 0, -1)
    elseif kind == 'stream' then
      value = stream_of(key)
    end
    local expiry = redis.call('PEXPIRETIME', key)
    out[i] = { version, kind, expiry, value }
  end
  return out
end

-- jotter_worker_floor CLOCK FLOOR: raises the clock to FLOOR (a decimal
-- u64) if it is below; returns the clock after.
local function floor(keys, args)
  return raise_clock(keys[1], args[1])
end

-- jotter_trim STREAM GROUP STALE: trims the acknowledged entries of a shard
-- stream (XTRIM MINID below the oldest entry still pending, or the group's
-- last delivered one), removes the group's consumers with nothing pending
-- idle for more than STALE ms (workers gone; a live one is created again
-- by its next read), and returns {trimmed, pending, lag}.
local function trim(keys, args)
  local stream, group, stale = keys[1], args[1], tonumber(args[2])
  if redis.call('EXISTS', stream) == 0 then
    return { 0, 0, 0 }
  end
  local groups = redis.call('XINFO', 'GROUPS', stream)
  local last, lag = nil, 0
  for _, g in ipairs(groups) do
    local fields = fields_of(g)
    if fields['name'] == group then
      last = fields['last-delivered-id']
      lag = fields['lag'] or 0
    end
  end
  if not last then
    return { 0, 0, 0 }
  end
  local summary = redis.call('XPENDING', stream, group)
  local pending = summary[1]
  local min = last
  if pending > 0 then
    min = summary[2]
  end
  local trimmed = redis.call('XTRIM', stream, 'MINID', min)
  for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', stream, group)) do
    local consumer = fields_of(c)
    if consumer['pending'] == 0 and consumer['idle'] > stale then
      redis.call('XGROUP', 'DELCONSUMER', stream, group, consumer['name'])
    end
  end
  return { trimmed, pending, lag }
end

-- Calls COMMAND KEY with args[first..last] in slices of at most 1000
-- arguments (Lua's unpack has a bound), each slice a multiple of per.
local function add(command, key, args, first, last, per)
  local step = 1000 - (1000 % per)
  for i = first, last, step do
    redis.call(command, key, unpack(args, i, math.min(i + step - 1, last)))
  end
end

-- jotter_load KEY VERSION TYPE PEXPIREAT ITEM...: writes a key the store
-- holds into Redis, only if Redis knows nothing of it (the key does not
-- exist and {jotter}:ver has no version for it: a version without the key
-- is a delete not yet flushed). ITEMs as jotter_read answers them: a
-- string's bytes, a hash's field/value pairs, a set's members, a sorted
-- set's member/score pairs, a list's elements in order; a stream's last
-- id, entries added, max deleted id, then per entry its id, its number of
-- field/value items and the items. PEXPIREAT 0 is no expiry. Sets the
-- key's version and its stored version to VERSION, appends no change
-- record (the store has the value).
-- Returns 1 if loaded, 0 if left alone.
local function load(keys, args)
  local key = keys[1]
  if redis.call('EXISTS', key) == 1 or redis.call('HEXISTS', VERSIONS, key) == 1 then
    return 0
  end
  local version, kind, expiry, n = args[1], args[2], args[3], #args
  if kind == 'string' then
    redis.call('SET', key, args[4])
  elseif kind == 'hash' then
    add('HSET', key, args, 4, n, 2)
  elseif kind == 'set' then
    add('SADD', key, args, 4, n, 1)
  elseif kind == 'zset' then
    for i = 4, n, 2 do
      redis.call('ZADD', key, args[i + 1], args[i])
    end
  elseif kind == 'list' then
    add('RPUSH', key, args, 4, n, 1)
  elseif kind == 'stream' then
    local i, added = 7, false
    while i <= n do
      local count = tonumber(args[i + 1])
      redis.call('XADD', key, args[i], unpack(args, i + 2, i + 1 + count))
      added = true
      i = i + 2 + count
    end
    if not added then
      -- An empty stream: created by an entry trimmed at once.
      redis.call('XADD', key, 'MAXLEN', '0', '0-1', 'f', 'v')
    end
    redis.call('XSETID', key, args[4], 'ENTRIESADDED', args[5], 'MAXDELETEDID', args[6])
  else
    return redis.error_reply('jotter_load: no such type ' .. kind)
  end
  if expiry ~= '0' then
    redis.call('PEXPIREAT', key, expiry)
  end
  redis.call('HSET', VERSIONS, key, version)
  redis.call('HSET', STORED, key, version)
  return 1
end

-- jotter_stored KEY VERSION ...: after the store's commit, raises each
-- key's stored version in {jotter}:stored to VERSION (never lowers it: a
-- slower worker's older write does not hide a newer one's). What
-- JOTTER.KEY on a front end compares with {jotter}:ver.
local function stored(_, args)
  for i = 1, #args, 2 do
    local key, version = args[i], args[i + 1]
    local current = redis.call('HGET', STORED, key)
    if not current or below(current, version) then
      redis.call('HSET', STORED, key, version)
    end
  end
  return #args / 2
end

redis.register_function { function_name = 'jotter_read', callback = read, flags = { 'no-writes' } }
redis.register_function('jotter_worker_floor', floor)
redis.register_function('jotter_trim', trim)
redis.register_function('jotter_load', load)
redis.register_function('jotter_stored', stored)
