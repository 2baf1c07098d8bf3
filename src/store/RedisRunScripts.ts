import { RedisScript } from "./Redis.js"

/**
 * The Lua scripts of `RedisRunLeases`. Keys (under the prefix):
 *   runs:alive:<owner>   string  the owner's lease (PX lease), renewed while the node lives
 *   runs:owners          set     owners that recorded runs
 *   runs:of:<owner>      hash    run id → user id: the owner's running runs (what a survivor claims)
 *   runs:u:{<user>}      hash    run id → owner: the user's running runs (the concurrent limit, stop routing)
 *   runs:s:{<user>}      zset    run id by start time: starts within the last minute (the per-minute limit)
 *   runs:e:{<user>}      zset    run id by end time: the user's last ended runs (`stop_agent` answers `stopped: false`)
 * Channel `runs:ctl:<owner>`: stop requests to the owner, its answers, the requesters' acks.
 */

/** Keys of one user's runs. */
export const userKeys = (prefix: string, userId: string) => ({
  running: `${prefix}runs:u:{${userId}}`,
  starts: `${prefix}runs:s:{${userId}}`,
  ended: `${prefix}runs:e:{${userId}}`
})

// ARGV: prefix, owner, lease ms — the run's owner is alive while this key is
const lease = `
local function renew(prefix, owner, lease_ms)
  redis.call('SET', prefix .. 'runs:alive:' .. owner, '1', 'PX', lease_ms)
end
`

// ended runs remembered per user, and how long the set outlives its last write
const endedRecord = `
local function remember_ended(ended, run, now)
  redis.call('ZADD', ended, now, run)
  redis.call('ZREMRANGEBYRANK', ended, 0, -1001)
  redis.call('PEXPIRE', ended, 86400000)
end
`

/**
 * KEYS: running, starts, ended (the user's). ARGV: prefix, owner, lease ms,
 * run, user, now, per minute (-1: none), concurrent (-1: none), window ms.
 * Returns {0} admitted, {1, retry ms} over the concurrent limit, {2, retry ms} over the per-minute one.
 */
export const admit = new RedisScript(
  "runs.admit",
  lease + `
local prefix, owner, lease_ms = ARGV[1], ARGV[2], ARGV[3]
local run, user, now = ARGV[4], ARGV[5], tonumber(ARGV[6])
local per_minute, concurrent, window = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
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
redis.call('HSET', prefix .. 'runs:of:' .. owner, run, user)
redis.call('SADD', prefix .. 'runs:owners', owner)
renew(prefix, owner, lease_ms)
return {0}
`
)

/** KEYS: running, ended (the user's). ARGV: prefix, owner, run, now. */
export const ended = new RedisScript(
  "runs.ended",
  endedRecord + `
local prefix, owner, run, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('HDEL', KEYS[1], run)
redis.call('HDEL', prefix .. 'runs:of:' .. owner, run)
remember_ended(KEYS[2], run, now)
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

/** ARGV: prefix, owner, lease ms. Renews the owner's lease. */
export const renew = new RedisScript(
  "runs.renew",
  lease + `
renew(ARGV[1], ARGV[2], ARGV[3])
return 1
`
)

/**
 * ARGV: prefix, this owner, now. Claims every run of every owner whose lease
 * expired: they leave the owner's and their user's records in this one
 * script, so exactly one node gets each. Returns {owner, user, run, ...}.
 */
export const claimLost = new RedisScript(
  "runs.claimLost",
  endedRecord + `
local prefix, self, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local owners_key = prefix .. 'runs:owners'
local lost = {}
for _, owner in ipairs(redis.call('SMEMBERS', owners_key)) do
  if owner ~= self and redis.call('EXISTS', prefix .. 'runs:alive:' .. owner) == 0 then
    local of = prefix .. 'runs:of:' .. owner
    local runs = redis.call('HGETALL', of)
    for i = 1, #runs, 2 do
      local run, user = runs[i], runs[i + 1]
      redis.call('HDEL', prefix .. 'runs:u:{' .. user .. '}', run)
      remember_ended(prefix .. 'runs:e:{' .. user .. '}', run, now)
      lost[#lost + 1] = owner
      lost[#lost + 1] = user
      lost[#lost + 1] = run
    end
    redis.call('DEL', of)
    redis.call('SREM', owners_key, owner)
  end
end
return lost
`
)
