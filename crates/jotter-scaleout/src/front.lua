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
-- `below` and `raise_clock` of versions.lua, which prepare.rs puts first.

local CLOCK = '{jotter}:clock'
local VERSIONS = '{jotter}:ver'
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

redis.register_function('jotter_record', record)
redis.register_function{function_name = 'jotter_dbsize', callback = dbsize, flags = {'no-writes'}}
redis.register_function{
  function_name = 'jotter_randomkey', callback = randomkey, flags = {'no-writes'}
}
