#!lua name=jotter_front
-- The front end's library (loaded by every front end at start with
-- FUNCTION LOAD REPLACE). It owns the change records: a front end runs
-- `jotter_record` inside the same MULTI/EXEC as the client's write, so the
-- write, its version and its record are applied together or not at all.
--
-- Versions are u64 decimal strings. Lua numbers are doubles, which lose
-- precision above 2^53, so a version is never a Lua number here: the clock
-- moves with INCR and is read back with GET (exact strings), and versions
-- are compared as decimal strings of equal form, by (length, bytes), with
-- `below` and `raise_clock` of versions.lua, which prepare.rs puts first
-- (with `fields_of`, which reads a dead letter's entry here).

local CLOCK = '{jotter}:clock'
local VERSIONS = '{jotter}:ver'
local STORED = '{jotter}:stored'
local DEAD = '{jotter}:dead'
local PREFIX = '{jotter}:'

-- A new version: the clock, first raised to `floor` (the front end's wall
-- clock, microseconds << 12) if it is below it, plus one.
local function next_version(floor)
  raise_clock(CLOCK, floor)
  redis.call('INCR', CLOCK)
  return redis.call('GET', CLOCK)
end

-- ARGV: floor, then pairs (user key, its shard number). One new version
-- for the write; each key's newest version and one change record per key
-- in its shard stream. Returns the version.
local function record(_, args)
  local version = next_version(args[1])
  for i = 2, #args, 2 do
    local key = args[i]
    redis.call('HSET', VERSIONS, key, version)
    redis.call('XADD', PREFIX .. 's:' .. args[i + 1], '*', 'k', key, 'v', version)
  end
  return version
end

-- DBSIZE of user keys. ARGV: the names of Jotter's keys that may exist.
local function dbsize(_, args)
  local size = redis.call('DBSIZE')
  for _, name in ipairs(args) do
    size = size - redis.call('EXISTS', name)
  end
  return size
end

local function is_user_key(key)
  return string.sub(key, 1, #PREFIX) ~= PREFIX
end

-- RANDOMKEY among user keys: a few random draws, then a walk (a keyspace
-- holding mostly Jotter's keys is small).
local function randomkey(_, _)
  for _ = 1, 32 do
    local key = redis.call('RANDOMKEY')
    if not key then
      return false
    end
    if is_user_key(key) then
      return key
    end
  end
  local cursor = '0'
  repeat
    local page = redis.call('SCAN', cursor, 'COUNT', 100)
    cursor = page[1]
    for _, key in ipairs(page[2]) do
      if is_user_key(key) then
        return key
      end
    end
  until cursor == '0'
  return false
end

-- The dead letters ARGV names: 'ALL' alone for every one, else entry ids
-- of {jotter}:dead. Each as {entry id, fields}; unknown ids are skipped.
local function letters(args)
  local out = {}
  if #args == 1 and args[1] == 'ALL' then
    for _, entry in ipairs(redis.call('XRANGE', DEAD, '-', '+')) do
      out[#out + 1] = { entry[1], fields_of(entry[2]) }
    end
    return out
  end
  for _, id in ipairs(args) do
    local entry = redis.call('XRANGE', DEAD, id, id)[1]
    if entry then
      out[#out + 1] = { entry[1], fields_of(entry[2]) }
    end
  end
  return out
end

-- jotter_replay ALL | ENTRY...: queues each dead letter's key for the
-- store again and removes the letter, in one step. A key written since
-- the letter (its version in {jotter}:ver above the letter's) already has
-- its newer write queued: the letter is only removed. Otherwise a change
-- record with the key's current version goes to the shard stream the
-- letter came from. Returns how many letters left the queue.
local function replay(_, args)
  local removed = 0
  for _, letter in ipairs(letters(args)) do
    local entry, fields = letter[1], letter[2]
    local key, version, stream = fields['key'], fields['id'], fields['stream']
    -- A letter lacking these (not a worker's) is left, uncounted.
    if key and version and stream then
      local current = redis.call('HGET', VERSIONS, key)
      if not (current and below(version, current)) then
        redis.call('XADD', stream, '*', 'k', key, 'v', current or version)
      end
      removed = removed + redis.call('XDEL', DEAD, entry)
    end
  end
  return removed
end

-- jotter_purge ALL | ENTRY...: removes the dead letters; returns their
-- keys (the caller logs them). A key whose newest write was the purged
-- letter's loses its version in {jotter}:ver too: no write of it is
-- queued or failed any more (JOTTER.KEY then says absent, as a single
-- node does), and the clock, not {jotter}:ver, keeps versions from going
-- back.
local function purge(_, args)
  local keys = {}
  for _, letter in ipairs(letters(args)) do
    local key, version = letter[2]['key'] or '', letter[2]['id']
    redis.call('XDEL', DEAD, letter[1])
    if version and redis.call('HGET', VERSIONS, key) == version then
      redis.call('HDEL', VERSIONS, key)
    end
    keys[#keys + 1] = key
  end
  return keys
end

-- jotter_key KEY: what Redis knows of the key's writes, in one step: its
-- newest version ({jotter}:ver, false if none), the newest version the
-- workers stored ({jotter}:stored, false if none), and its dead letters,
-- oldest first, each as {entry id, version, error}.
local function key_status(keys)
  local key = keys[1]
  local found = {}
  for _, entry in ipairs(redis.call('XRANGE', DEAD, '-', '+')) do
    local fields = fields_of(entry[2])
    if fields['key'] == key then
      found[#found + 1] = { entry[1], fields['id'] or false, fields['error'] or false }
    end
  end
  return { redis.call('HGET', VERSIONS, key), redis.call('HGET', STORED, key), found }
end

redis.register_function('jotter_record', record)
redis.register_function('jotter_replay', replay)
redis.register_function('jotter_purge', purge)
redis.register_function{
  function_name = 'jotter_key', callback = key_status, flags = {'no-writes'}
}
redis.register_function{function_name = 'jotter_dbsize', callback = dbsize, flags = {'no-writes'}}
redis.register_function{
  function_name = 'jotter_randomkey', callback = randomkey, flags = {'no-writes'}
}
