import { keyPart, RedisScript } from "./Redis.js"

/**
 * The Lua scripts of `RedisRunLeases`. Keys (under the prefix; `<owner>` and
 * `<user>` hex-encoded with `keyPart`, so no id reaches into Redis's syntax):
 *   runs:alive:<owner>   string  the owner's lease: its current generation (PX lease), renewed while the node lives
 *   runs:owners          set     owners (hex) that recorded runs
 *   runs:of:<owner>      hash    run id → user (hex): the owner's running runs (what a survivor claims)
 *   runs:lost:<owner>    hash    run id → "<user hex> <former owner hex>": runs this owner claimed, until it ended them NODE_LOST
 *   runs:u:{<user>}      hash    run id → owner (as given): the user's running runs (the concurrent limit, stop routing)
 *   runs:s:{<user>}      zset    run id by start time: starts within the last minute (the per-minute limit)
 *   runs:e:{<user>}      zset    run id by end time: the user's last ended runs (`stop_agent` answers `stopped: false`)
 * Channel `runs:ctl:<owner>`: stop requests to the owner, its answers, the requesters' acks.
 *
 * A lease is held by a generation: runs are admitted only under the
 * generation the lease holds now, and a renewal that finds the lease gone
 * (it lapsed: the node could not renew in time) or held by another
 * generation takes it anew — after claiming, as a survivor would, what the
 * earlier generations left.
 */

/** Keys of one user's runs. */
export const userKeys = (prefix: string, userId: string) => {
  const user = keyPart(userId)
  return {
    running: `${prefix}runs:u:{${user}}`,
    starts: `${prefix}runs:s:{${user}}`,
    ended: `${prefix}runs:e:{${user}}`
  }
}

// ended runs remembered per user, and how long the set outlives its last write
const rememberEnded = `
local function remember_ended(ended, run, now)
  redis.call('ZADD', ended, now, run)
  redis.call('ZREMRANGEBYRANK', ended, 0, -1001)
  redis.call('PEXPIRE', ended, 86400000)
end
`

/**
 * Lua of a run's end, the one place its keys are written: `run_held(prefix,
 * owner, run)` — whether `owner` (hex) still holds the run (not ended, not
 * claimed by a survivor) — and `end_run(prefix, owner, user, run, now)`
 * (user and owner hex). `runs.ended` and another store's script
 * (`streams.publish`, with the run's `agent_completed`) are built on it.
 */
export const endRunLua = rememberEnded + `
local function run_held(prefix, owner, run)
  return redis.call('HEXISTS', prefix .. 'runs:of:' .. owner, run) == 1
end
local function end_run(prefix, owner, user, run, now)
  redis.call('HDEL', prefix .. 'runs:u:{' .. user .. '}', run)
  redis.call('HDEL', prefix .. 'runs:of:' .. owner, run)
  remember_ended(prefix .. 'runs:e:{' .. user .. '}', run, now)
end
`

// claiming an owner's runs: out of their users' records, into the claimer's list of runs to end NODE_LOST
const common = rememberEnded + `
local function claim_all(prefix, owner, claimer, now)
  local of = prefix .. 'runs:of:' .. owner
  local lost = prefix .. 'runs:lost:' .. claimer
  local runs = redis.call('HGETALL', of)
  for i = 1, #runs, 2 do
    local run, user = runs[i], runs[i + 1]
    redis.call('HDEL', prefix .. 'runs:u:{' .. user .. '}', run)
    remember_ended(prefix .. 'runs:e:{' .. user .. '}', run, now)
    redis.call('HSET', lost, run, user .. ' ' .. owner)
  end
  redis.call('DEL', of)
  -- what the owner had claimed itself and not ended yet: the claimer ends it
  if owner ~= claimer then
    local owed = redis.call('HGETALL', prefix .. 'runs:lost:' .. owner)
    for i = 1, #owed, 2 do redis.call('HSET', lost, owed[i], owed[i + 1]) end
    redis.call('DEL', prefix .. 'runs:lost:' .. owner)
  end
end
`

/**
 * KEYS: running, starts, ended (the user's). ARGV: prefix, owner (hex),
 * owner, generation, run, user (hex), now, per minute (-1: none),
 * concurrent (-1: none), window ms.
 * Returns {0} admitted, {1, retry ms} over the concurrent limit, {2, retry ms}
 * over the per-minute one, {3} the lease is not held by this generation (renew first).
 */
export const admit = new RedisScript(
  "runs.admit",
  `
local prefix, owner_key, owner, generation = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local run, user, now = ARGV[5], ARGV[6], tonumber(ARGV[7])
local per_minute, concurrent, window = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
if redis.call('GET', prefix .. 'runs:alive:' .. owner_key) ~= generation then return {3} end
if concurrent >= 0 and redis.call('HLEN', KEYS[1]) >= concurrent then return {1, 1000} end
if per_minute >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  if redis.call('ZCARD', KEYS[2]) >= per_minute then
    local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    return {2, math.max(1, tonumber(oldest[2]) + window - now)}
  end
  redis.call('ZADD', KEYS[2], now, run)
  redis.call('PEXPIRE', KEYS[2], window)
end
redis.call('HSET', KEYS[1], run, owner)
redis.call('HSET', prefix .. 'runs:of:' .. owner_key, run, user)
redis.call('SADD', prefix .. 'runs:owners', owner_key)
return {0}
`
)

/**
 * ARGV: prefix, owner (hex), user (hex), run, now.
 * A run's end recorded without an event (`end_run`): a run refused after
 * all, one admitted while Redis was away (written with the next renewal),
 * or a leased run whose `agent_completed` died on its way. A leased run's
 * end is otherwise recorded by `streams.publish` with that event.
 */
export const ended = new RedisScript(
  "runs.ended",
  endRunLua + `
local prefix, owner, user, run, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
end_run(prefix, owner, user, run, now)
return 1
`
)

/** KEYS: running, ended (the user's). ARGV: run. Returns {'running', owner}, {'ended'} or {'unknown'}. */
export const locate = new RedisScript(
  "runs.locate",
  `
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner then return {'running', owner} end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {'ended'} end
return {'unknown'}
`
)

/**
 * ARGV: prefix, owner (hex), generation, next generation, lease ms, now.
 * Renews the lease if `generation` holds it: {1}. Otherwise (the first
 * renewal, or the lease lapsed) the runs recorded under the owner are its
 * own lost runs — claimed as a survivor would, to be ended NODE_LOST by this
 * node — and the lease is taken by `next generation`: {0, claimed count}.
 */
export const renew = new RedisScript(
  "runs.renew",
  common + `
local prefix, owner, generation, next = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local lease_ms, now = ARGV[5], tonumber(ARGV[6])
local alive = prefix .. 'runs:alive:' .. owner
if redis.call('GET', alive) == generation then
  redis.call('PEXPIRE', alive, lease_ms)
  return {1}
end
local claimed = redis.call('HLEN', prefix .. 'runs:of:' .. owner)
claim_all(prefix, owner, owner, now)
redis.call('SET', alive, next, 'PX', lease_ms)
return {0, claimed}
`
)

/**
 * ARGV: prefix, this owner (hex), now. Claims every run of every owner whose
 * lease expired: they leave the owner's and their user's records in this one
 * script, so exactly one node gets each, into this owner's list of runs to
 * end. Returns that whole list — runs claimed now and earlier ones not yet
 * ended (a reply lost to a timeout is not a lost run): {user hex, run, former
 * owner hex, ...}. `lostEnded` takes a run off it once it ended.
 */
export const claimLost = new RedisScript(
  "runs.claimLost",
  common + `
local prefix, self, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local owners_key = prefix .. 'runs:owners'
for _, owner in ipairs(redis.call('SMEMBERS', owners_key)) do
  if owner ~= self and redis.call('EXISTS', prefix .. 'runs:alive:' .. owner) == 0 then
    claim_all(prefix, owner, self, now)
    redis.call('SREM', owners_key, owner)
  end
end
local out = {}
local owed = redis.call('HGETALL', prefix .. 'runs:lost:' .. self)
for i = 1, #owed, 2 do
  local space = string.find(owed[i + 1], ' ', 1, true)
  out[#out + 1] = string.sub(owed[i + 1], 1, space - 1)
  out[#out + 1] = owed[i]
  out[#out + 1] = string.sub(owed[i + 1], space + 1)
end
return out
`
)

/** ARGV: prefix, this owner (hex), run. A claimed run was ended NODE_LOST: off the list. */
export const lostEnded = new RedisScript(
  "runs.lostEnded",
  `
return redis.call('HDEL', ARGV[1] .. 'runs:lost:' .. ARGV[2], ARGV[3])
`
)
