import { RedisScript } from "./Redis.js"

/**
 * The Lua scripts of `RedisDedupeStore`: each operation is one script, so a
 * claim, a completion and the evictions they cause are atomic across nodes.
 *
 * Keys of one user (`<prefix>dd:{<user>}:` + `e`, `o`, `m`; `<user>` is `keyPart(user id)`, hex):
 *   e  hash  id → "P<lease deadline ms>:<claim token>" (in progress) | "D<done at ms>:<result JSON>"
 *   o  zset  the done ids, scored by a per-user sequence (completion order)
 *   m  hash  `bytes` (of the done ids), `seq`
 *   w  hash  the waits of chains (`SharedWaits`): id a waiting chain holds → "<deadline ms>:<id it waits for>"
 * Keys of the prefix, for the bound of all users together (`<prefix>dd:` + `all`, `gm`):
 *   all zset "<at>:<bytes>:<user length>:<user><id>" scored by a global sequence (`<user>` hex, as in the keys)
 *   gm  hash `bytes`, `seq`
 * Times are the callers' `Clock` (so TestClock drives the window); Redis TTLs
 * (wall clock) only collect what nobody touches again.
 */

const common = `
local prefix, now, window, overhead = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local gall, gm = prefix .. 'dd:all', prefix .. 'dd:gm'
local function ukey(user, name) return prefix .. 'dd:{' .. user .. '}:' .. name end
local function member(at, bytes, user, id) return at .. ':' .. bytes .. ':' .. #user .. ':' .. user .. id end
-- a done entry's time and result; one whose time it cannot read (another version's, damaged) counts as past the
-- window, so that it is dropped rather than failing every script that meets it (the user's oldest would be met
-- by each of the user's claims)
local function parse_done(v)
  local colon = string.find(v, ':', 2, true)
  if not colon then return 0, '' end
  return tonumber(string.sub(v, 2, colon - 1)) or 0, string.sub(v, colon + 1)
end
-- removes one id of a user (done or in progress), with its bytes everywhere
local function drop(user, id, v)
  redis.call('HDEL', ukey(user, 'e'), id)
  if string.sub(v, 1, 1) == 'D' then
    local at, json = parse_done(v)
    local bytes = #json + #id + overhead
    -- a count goes down only with its index entry (either may have expired on its own)
    if redis.call('ZREM', ukey(user, 'o'), id) == 1 then redis.call('HINCRBY', ukey(user, 'm'), 'bytes', -bytes) end
    if redis.call('ZREM', gall, member(at, bytes, user, id)) == 1 then redis.call('HINCRBY', gm, 'bytes', -bytes) end
  end
end
-- removes the entry a global member names (the user's keys may have expired already)
local function drop_member(m)
  local c1 = string.find(m, ':', 1, true)
  local c2 = string.find(m, ':', c1 + 1, true)
  local c3 = string.find(m, ':', c2 + 1, true)
  local bytes = tonumber(string.sub(m, c1 + 1, c2 - 1))
  local ulen = tonumber(string.sub(m, c2 + 1, c3 - 1))
  local user = string.sub(m, c3 + 1, c3 + ulen)
  local id = string.sub(m, c3 + ulen + 1)
  local v = redis.call('HGET', ukey(user, 'e'), id)
  if v and string.sub(v, 1, 1) == 'D' and member(parse_done(v), bytes, user, id) == m then
    drop(user, id, v)
  elseif redis.call('ZREM', gall, m) == 1 then
    redis.call('HINCRBY', gm, 'bytes', -bytes)
  end
end
-- the lease deadline of an id in progress ("P<deadline>:<token>"; one it cannot read: run out)
local function deadline_of(v) return tonumber(string.match(v, '^P(%d+)')) or 0 end
-- the user's ids past the window, oldest first (at most LIMIT at once; a lookup checks its own id's age too)
local function sweep_user(user, limit)
  local o = ukey(user, 'o')
  for _ = 1, limit do
    local oldest = redis.call('ZRANGE', o, 0, 0)[1]
    if not oldest then return end
    local v = redis.call('HGET', ukey(user, 'e'), oldest)
    if not v then
      redis.call('ZREM', o, oldest)
    else
      local at = parse_done(v)
      if now - at < window then return end
      drop(user, oldest, v)
    end
  end
end

-- what a claim finds of an id: nil (free: absent, past the window, or a dead claim's lease ran out),
-- {'D', json} (done within the window), {'P', token} (in progress)
local function look(user, id)
  local v = redis.call('HGET', ukey(user, 'e'), id)
  if not v then return nil end
  if string.sub(v, 1, 1) == 'D' then
    local at, json = parse_done(v)
    if now - at < window then return {'D', json} end
    drop(user, id, v)
    return nil
  end
  if deadline_of(v) > now then return {'P', string.match(v, ':(.*)$') or ''} end
  return nil
end
`

// records an id done with its result, then evicts beyond the bounds (ARGV 8..11 of `complete` and `record`)
const settle = `
local function settle(user, id, json)
local max_entries, max_user_bytes, max_bytes, ttl = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local e, o, m = ukey(user, 'e'), ukey(user, 'o'), ukey(user, 'm')
local bytes = #json + #id + overhead
redis.call('HSET', e, id, 'D' .. now .. ':' .. json)
redis.call('ZADD', o, redis.call('HINCRBY', m, 'seq', 1), id)
redis.call('HINCRBY', m, 'bytes', bytes)
redis.call('ZADD', gall, redis.call('HINCRBY', gm, 'seq', 1), member(now, bytes, user, id))
redis.call('HINCRBY', gm, 'bytes', bytes)
-- this user: past the window, then over its count or bytes, oldest first
sweep_user(user, 64)
for _ = 1, 1024 do
  local over = redis.call('HLEN', e) > max_entries or tonumber(redis.call('HGET', m, 'bytes') or '0') > max_user_bytes
  if not over then break end
  local oldest = redis.call('ZRANGE', o, 0, 0)[1]
  if not oldest then break end
  local ov = redis.call('HGET', e, oldest)
  if ov then drop(user, oldest, ov) else redis.call('ZREM', o, oldest) end
end
-- all users: past the window, then over the bytes of all, oldest first
for _ = 1, 1024 do
  local first = redis.call('ZRANGE', gall, 0, 0)[1]
  if not first then break end
  local at = tonumber(string.sub(first, 1, string.find(first, ':', 1, true) - 1))
  if now - at < window and tonumber(redis.call('HGET', gm, 'bytes') or '0') <= max_bytes then break end
  drop_member(first)
end
for _, key in ipairs({e, o, m}) do redis.call('PEXPIRE', key, ttl) end
redis.call('PEXPIRE', gall, ttl)
redis.call('PEXPIRE', gm, ttl)
end
`

/**
 * KEYS: none (all derived from ARGV, one user's keys plus the prefix's).
 * ARGV: prefix, now, window, overhead, user, id, leaseMs, ttlMs, token.
 * Returns {'N'} (the caller's to process), {'P'} (in progress elsewhere), {'D', json}.
 * A claim in progress under the caller's own `token` is the caller's: a
 * retry after a timeout whose first attempt did run gets `N` again.
 */
export const claim = new RedisScript(
  "dedupe.claim",
  common + `
local user, id, lease, ttl, token = ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
sweep_user(user, 64)
local found = look(user, id)
if found and not (found[1] == 'P' and found[2] == token) then
  if found[1] == 'D' then return found end
  return {'P'}
end
local e = ukey(user, 'e')
redis.call('HSET', e, id, 'P' .. (now + lease) .. ':' .. token)
for _, key in ipairs({e, ukey(user, 'o'), ukey(user, 'm')}) do redis.call('PEXPIRE', key, ttl) end
return {'N'}
`
)

/**
 * ARGV: prefix, now, window, overhead, user, id, json, maxEntries, maxBytesPerUser, maxBytes, ttlMs.
 * A claim recorded done at once (`DedupeStore.record`): {'N'} when recorded,
 * else what `claim` would answer ({'P'}, {'D', json}). Nobody can be waiting
 * for an id that was never in progress, so nobody is told.
 */
export const record = new RedisScript(
  "dedupe.record",
  common + settle + `
local user, id, json = ARGV[5], ARGV[6], ARGV[7]
sweep_user(user, 64)
local found = look(user, id)
if found then
  if found[1] == 'D' then return found end
  return {'P'}
end
settle(user, id, json)
return {'N'}
`
)

/**
 * ARGV: prefix, now, window, overhead, user, id, json, maxEntries, maxBytesPerUser, maxBytes, ttlMs, channel.
 * Marks the id done with its result (if it is still in progress), evicts
 * beyond the bounds, and tells waiters on `channel`. Returns 1 if recorded.
 */
export const complete = new RedisScript(
  "dedupe.complete",
  common + settle + `
local user, id, json = ARGV[5], ARGV[6], ARGV[7]
local v = redis.call('HGET', ukey(user, 'e'), id)
if not v or string.sub(v, 1, 1) ~= 'P' then return 0 end
settle(user, id, json)
redis.call('PUBLISH', ARGV[12], 'done')
return 1
`
)

/**
 * ARGV: prefix, now, window, overhead, user, id, channel.
 * Forgets the id (its processing failed, or it is released) and tells waiters.
 */
export const expire = new RedisScript(
  "dedupe.expire",
  common + `
local user, id = ARGV[5], ARGV[6]
local v = redis.call('HGET', ukey(user, 'e'), id)
if v then drop(user, id, v) end
redis.call('PUBLISH', ARGV[7], 'expired')
return 1
`
)

// the waits of one user: ARGV prefix, now, (window, overhead: unused), user, wanted, then the script's own
const waitsPrelude = `
local prefix, now, wanted = ARGV[1], tonumber(ARGV[2]), ARGV[6]
local w = prefix .. 'dd:{' .. ARGV[5] .. '}:w'
`

/**
 * ARGV: prefix, now, window, overhead, user, wanted, leaseMs, held ids (one or more).
 * A chain holding the held ids waits for `wanted`: follows the waits from
 * `wanted` (the chain holding it waits for …) and returns 0 if they lead back
 * to a held id (the wait would close a cycle); else records an edge from
 * each held id to `wanted`, valid for the lease, and returns 1. Every id is
 * held by one chain at most (a claim is exclusive), so each id has one edge
 * at most and the walk visits each id once. An edge past its deadline is a
 * dead node's (a live wait ends within the lease of the claim it waits for):
 * it is dropped when met or sampled (a few entries each time), and the hash
 * expires a lease after the last entry.
 */
export const enterWait = new RedisScript(
  "dedupe.enterWait",
  waitsPrelude + `
local lease = tonumber(ARGV[7])
-- a few entries at random: one past its deadline that no walk meets (its leave was lost) goes all the same,
-- so they cannot pile up in the hash of a user who keeps it alive
local sample = redis.call('HRANDFIELD', w, 4, 'WITHVALUES')
for i = 1, #sample, 2 do
  local v = sample[i + 1]
  if tonumber(string.sub(v, 1, string.find(v, ':', 1, true) - 1)) <= now then redis.call('HDEL', w, sample[i]) end
end
local held = {}
for i = 8, #ARGV do held[ARGV[i]] = true end
local at, seen = wanted, {}
while at and not seen[at] do
  if held[at] then return 0 end
  seen[at] = true
  local v = redis.call('HGET', w, at)
  local next_at = nil
  if v then
    local colon = string.find(v, ':', 1, true)
    if tonumber(string.sub(v, 1, colon - 1)) > now then next_at = string.sub(v, colon + 1)
    else redis.call('HDEL', w, at) end
  end
  at = next_at
end
local edge = (now + lease) .. ':' .. wanted
for i = 8, #ARGV do redis.call('HSET', w, ARGV[i], edge) end
redis.call('PEXPIRE', w, lease)
return 1
`
)

/**
 * ARGV: prefix, now, window, overhead, user, wanted, held ids.
 * Ends a wait: removes the edge of each held id that still leads to `wanted`.
 */
export const leaveWait = new RedisScript(
  "dedupe.leaveWait",
  waitsPrelude + `
for i = 7, #ARGV do
  local v = redis.call('HGET', w, ARGV[i])
  if v and string.sub(v, string.find(v, ':', 1, true) + 1) == wanted then redis.call('HDEL', w, ARGV[i]) end
end
return 1
`
)
