"""Lua scripts of the voice clip repository: each change of a clip and of its owner's
indexes happens in one atomic step.

Keys: `voice:{voice_id}` (hash: owner, progress), `voice:{voice_id}:chunks` (list),
and the indexes of open clips `voice_open:user:{user_id}` and
`voice_open:session:{session_id}` (sets, as sorted sets scored by opening time).
An index member whose clip expired is pruned whenever the index is read.
"""

from __future__ import annotations

# Shared helpers, prepended to every script.
_COMMON = """
local function drop(id)
  local meta = 'voice:' .. id
  local owner = redis.call('HMGET', meta, 'user_id', 'session_id')
  redis.call('DEL', meta, meta .. ':chunks')
  if owner[1] then redis.call('ZREM', 'voice_open:user:' .. owner[1], id) end
  if owner[2] then redis.call('ZREM', 'voice_open:session:' .. owner[2], id) end
end
local function live(index)
  local ids = {}
  for _, id in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    if redis.call('EXISTS', 'voice:' .. id) == 1 then
      ids[#ids + 1] = id
    else
      redis.call('ZREM', index, id)
    end
  end
  return ids
end
local function soonest_free_ms(ids)
  local best = nil
  for _, id in ipairs(ids) do
    local ms = redis.call('PTTL', 'voice:' .. id)
    if ms > 0 and (best == nil or ms < best) then best = ms end
  end
  return best or 1000
end
"""

# KEYS: meta, user index, session index.
# ARGV: voice_id, ttl_s, now_ms, max open per user, per session (0: none), field, value, ...
# Returns {"ok", 0} or {"user" | "session", ms until the first open clip expires}.
CREATE = _COMMON + """
local id, ttl, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local caps = {{KEYS[2], tonumber(ARGV[4]), 'user'}, {KEYS[3], tonumber(ARGV[5]), 'session'}}
for _, cap in ipairs(caps) do
  local ids = live(cap[1])
  if cap[2] > 0 and #ids >= cap[2] then return {cap[3], soonest_free_ms(ids)} end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[1], ttl)
for i = 2, 3 do
  redis.call('ZADD', KEYS[i], now, id)
  redis.call('EXPIRE', KEYS[i], ttl)
end
return {'ok', 0}
"""

# KEYS: meta, chunks. ARGV: voice_id, seq, chunk (base64), chunk bytes, max clip bytes,
# max bytes of the owner's open clips together (0: none), ttl_s.
# Returns {status, received bytes (or the total refused), next seq}.
APPEND = _COMMON + """
local id, seq = ARGV[1], tonumber(ARGV[2])
local raw = redis.call('HMGET', KEYS[1], 'next_seq', 'bytes', 'user_id')
if not raw[1] then return {'missing', 0, 0} end
local next_seq, total = tonumber(raw[1]), tonumber(raw[2])
if seq < next_seq then return {'repeat', total, next_seq} end
if seq > next_seq then return {'gap', total, next_seq} end
local new_total = total + tonumber(ARGV[4])
if new_total > tonumber(ARGV[5]) then
  drop(id)
  return {'too_large', new_total, next_seq}
end
local max_user = tonumber(ARGV[6])
if max_user > 0 and raw[3] then
  local held = new_total
  for _, other in ipairs(live('voice_open:user:' .. raw[3])) do
    if other ~= id then held = held + tonumber(redis.call('HGET', 'voice:' .. other, 'bytes') or 0) end
  end
  if held > max_user then
    drop(id)
    return {'user_bytes', held, next_seq}
  end
end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], 'next_seq', seq + 1, 'bytes', new_total)
local ms = redis.call('PTTL', KEYS[1])
if ms > 0 then redis.call('PEXPIRE', KEYS[2], ms) else redis.call('EXPIRE', KEYS[2], ARGV[7]) end
return {'ok', new_total, seq + 1}
"""

# KEYS: meta, chunks. ARGV: voice_id. Removes the clip; returns {meta fields, chunks} once.
TAKE = _COMMON + """
local raw = redis.call('HGETALL', KEYS[1])
if #raw == 0 then return false end
local chunks = redis.call('LRANGE', KEYS[2], 0, -1)
drop(ARGV[1])
return {raw, chunks}
"""

# ARGV: voice_id.
DROP = _COMMON + "drop(ARGV[1])\nreturn 1\n"

# KEYS: session index. ARGV: sid. Drops the session's open clips this socket opened.
DROP_SOCKET = _COMMON + """
local dropped = 0
for _, id in ipairs(live(KEYS[1])) do
  if redis.call('HGET', 'voice:' .. id, 'sid') == ARGV[1] then
    drop(id)
    dropped = dropped + 1
  end
end
return dropped
"""
