-- Versions, and the reading of flat field/value replies, shared by
-- Jotter's function libraries: `prepare.rs` puts this after each library's
-- `#!lua` line when it loads the library (Redis Functions cannot call
-- across libraries).
--
-- Versions are u64 decimal strings. Lua numbers are doubles, which lose
-- precision above 2^53, so a version is never a Lua number: it is compared
-- as a decimal string of equal form, by (length, bytes).

-- Whether decimal string a is below decimal string b (no sign, no
-- leading zeros).
local function below(a, b)
  if #a ~= #b then
    return #a < #b
  end
  return a < b
end

-- Raises the clock at `key` to `floor` if it is below it (or unset);
-- returns the clock after.
local function raise_clock(key, floor)
  local clock = redis.call('GET', key)
  if not clock or below(clock, floor) then
    redis.call('SET', key, floor)
    return floor
  end
  return clock
end

-- A flat field/value array (an XINFO reply, a stream entry's fields) as a
-- table.
local function fields_of(flat)
  local fields = {}
  for i = 1, #flat, 2 do
    fields[flat[i]] = flat[i + 1]
  end
  return fields
end
