import type { HistoryEntry } from "./History.js"
import { RedisScript } from "./Redis.js"
import { endRunLua } from "./RedisRunScripts.js"

/**
 * The Lua scripts of `RedisStreams` (the Redis `Backplane` and `HistoryStore`):
 * a publish allocates the seq, appends to the history and fans out in ONE
 * script, so every node sees one seq order with no duplicate and no hole.
 *
 * Keys of one user (`<prefix>st:{<user>}:` + `m`, `x`, `p`; channel `<prefix>st:{<user>}`;
 * `<user>` is `keyPart(user id)`, hex, so no user id can reach into Redis's syntax):
 *   m  hash    `epoch`, `seq` (the latest allocated), `bytes` (UTF-8 bytes of the frames held), `total` (UTF-8
 *              bytes of every frame appended in this epoch)
 *   x  stream  one entry per held event, id `<seq>-0`, fields `f` (frame), `a` (at, ms), `c` (`total` once it
 *              was appended; absent in streams written before 2026-12-06, which `evict` walks)
 *   p  list    `<token>:<seq>` of the user's last `PUBLISH_TOKENS` publishes (or a few more), newest first,
 *              kept a minute: a publish retried after a timeout finds the seq its first attempt got
 * Channel messages: `e<seq>:<at>:<epoch>:<frame>` (an event of that epoch), `s<sender length>:<sender><frame>` (a signal),
 * `r<epoch>` (the stream was made anew: the events after it are of that epoch, from seq 1),
 * `r<epoch>:<seq>` (the stream was restarted: history holds that epoch's events up to seq, carried over from the
 * old epoch; the events after it follow them). A message of another first letter is ignored, so that a later
 * version may add kinds while nodes of this one still run (a rolling upgrade).
 * Ages are judged on the caller's `Clock` (`now`); the keys' TTL (wall clock,
 * refreshed by every publish, subscribe and read) only collects streams nobody uses.
 */

/** How many of a user's publishes a retry can find its first attempt among. */
export const PUBLISH_TOKENS = 256

// the token list is trimmed back to PUBLISH_TOKENS when it grows this much past it (one LTRIM per this many publishes)
const TOKENS_SLACK = 64

// events a call drops for their age alone, whatever it appends (one script's work stays short; the next
// publish or read goes on)
const AGED_PER_CALL = 512

// ARGV[1..8]: prefix, user (hex), now, minEvents, minAgeMs, maxEvents, maxBytes (-1: none), ttlMs
const common = `
local prefix, user, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local min_events, min_age, max_events, max_bytes = tonumber(ARGV[4]), tonumber(ARGV[5]), math.max(0, tonumber(ARGV[6])), tonumber(ARGV[7])
local ttl = tonumber(ARGV[8])
-- events this call may still drop for their age alone: one budget for the whole script (a publish of a batch
-- evicts once per event)
local aged_left = ${AGED_PER_CALL}
local m, x = prefix .. 'st:{' .. user .. '}:m', prefix .. 'st:{' .. user .. '}:x'
local channel = prefix .. 'st:{' .. user .. '}'
-- a stream absent (never made, expired, forgotten, lost with a Redis restart) is made with the
-- caller's new epoch, announced so that listeners holding another epoch's position reset
-- (EXISTS first: a Redis full at its maxmemory refuses a script's first HSETNX, even one that would
-- change nothing, and a stream that is there is still read and caught up with then)
local function open(epoch)
  if redis.call('EXISTS', m) == 0 and redis.call('HSETNX', m, 'epoch', epoch) == 1 then
    redis.call('HSET', m, 'seq', 0, 'bytes', 0)
    redis.call('PUBLISH', channel, 'r' .. epoch)
  end
end
-- (PEXPIRE of an absent key does nothing: no EXISTS first)
local function touch()
  redis.call('PEXPIRE', m, ttl)
  redis.call('PEXPIRE', x, ttl)
end
-- the seq of a held event's id (\`<seq>-0\`)
local function seq_of(id)
  return tonumber(string.match(id, '^(%d+)'))
end
-- drops every held event up to seq \`last\`, inclusive; returns how many
local function trim_through(last)
  return redis.call('XTRIM', x, 'MINID', string.format('%d-0', last + 1))
end
-- the first held event at or after seq \`from\` (nil if none): {seq, frame, c}
local function at_or_after(from)
  local entry = redis.call('XRANGE', x, from .. '-0', '+', 'COUNT', 1)[1]
  if entry then return {seq_of(entry[1]), entry[2][2], tonumber(entry[2][6])} end
end
-- The bounds that hold memory (bytes, then count) applied by the running totals, no frame read but the
-- oldest few: each event holds \`c\`, the bytes appended to the stream up to and including it (\`total\` in
-- m), so what is held after an event is \`total - c\`; the byte bound's cut is looked for among the oldest
-- few events, else by a binary search over the seqs. Returns the bytes and count held then, or nil for a
-- stream with events of a version that kept no totals (\`evict\` walks it instead).
local function cut(bytes, size)
  local total = tonumber(redis.call('HGET', m, 'total') or '')
  local over = max_bytes >= 0 and bytes > max_bytes
  local head = redis.call('XRANGE', x, '-', '+', 'COUNT', over and 8 or 1)
  if not total or #head == 0 or not head[1][2][6] then return nil end
  local dropped = 0
  if over then
    -- the first event whose \`c\` reaches \`total - max_bytes\`: dropped with every older one, what is held
    -- then being \`total\` less its \`c\`
    local goal = total - max_bytes
    local best, at_best
    for _, entry in ipairs(head) do
      local c = tonumber(entry[2][6])
      if c >= goal then
        best, at_best = seq_of(entry[1]), c
        break
      end
    end
    local lo, hi = seq_of(head[#head][1]) + 1, -1
    if not best then
      -- (the newest event's \`c\` is \`total\`: it always reaches the goal)
      best = seq_of(redis.call('XREVRANGE', x, '+', '-', 'COUNT', 1)[1][1])
      at_best, hi = total, best - 1
    end
    while lo <= hi do
      local e = at_or_after(math.floor((lo + hi) / 2))
      -- (an event without a total among ones with: two versions writing at once, which the README rules out)
      if e and e[1] <= hi and not e[3] then return nil end
      if not e or e[1] > hi then
        hi = math.floor((lo + hi) / 2) - 1
      elseif e[3] >= goal then
        best, at_best, hi = e[1], e[3], e[1] - 1
      else
        lo = e[1] + 1
      end
    end
    dropped = trim_through(best)
    bytes = total - at_best
  end
  if size - dropped > max_events then
    dropped = dropped + redis.call('XTRIM', x, 'MAXLEN', max_events)
    local first = at_or_after(0)
    -- (the same without a total: the bytes counted before, more than held, so never too few dropped)
    bytes = not first and 0 or first[3] and (total - first[3] + #first[2]) or bytes
  end
  if dropped > 0 then redis.call('HSET', m, 'bytes', bytes) end
  return bytes, size - dropped
end
-- the bounds of PROTOCOL §6 and §10, oldest first: bytes win over both minimums; \`held\` is the bytes
-- held if the caller knows them (read otherwise), written back only when an eviction changed them.
-- Far past the bounds that hold memory, \`cut\` drops what must go without reading it. What is left to drop,
-- oldest first, is read in pages (one, then growing to 256) and dropped with one XTRIM (an XDEL each left
-- tombstones that every later read from the oldest walks again); past the memory bounds only for their age,
-- events are dropped AGED_PER_CALL a call: a history that aged at once (a user who filled it and went
-- quiet) was 58 ms of Redis in one call (\`scripts/bench/stream-script-cost.ts\`)
local function evict(held)
  local bytes = held or tonumber(redis.call('HGET', m, 'bytes') or '0')
  local size = redis.call('XLEN', x)
  -- the common case decided without reading the oldest event
  if size == 0 or ((max_bytes < 0 or bytes <= max_bytes) and size <= min_events) then return end
  -- far past a memory bound (more than a few events to drop, judged by the mean frame): cut by the totals;
  -- a few (a history held full, one event in and one out) are walked, which reads no more
  local excess = size - max_events
  if max_bytes >= 0 and bytes > max_bytes then excess = math.max(excess, (bytes - max_bytes) * size / bytes) end
  if excess > 8 then
    local b, n = cut(bytes, size)
    if b then bytes, size = b, n end
  end
  -- \`last\`: the newest event to drop (the age-only drops counted in \`aged_left\`)
  local last, kept, from, want = nil, false, '-', 1
  while not kept and size > 0 and ((max_bytes >= 0 and bytes > max_bytes) or size > min_events) do
    local chunk = redis.call('XRANGE', x, from, '+', 'COUNT', want)
    if #chunk == 0 then break end
    for _, entry in ipairs(chunk) do
      local fields = entry[2]
      local frame, at = fields[2], tonumber(fields[4])
      if (max_bytes < 0 or bytes <= max_bytes) and size <= max_events then
        -- within the bounds that hold memory: only age drops more, AGED_PER_CALL at most (the next calls go on)
        kept = size <= min_events or now - at < min_age or aged_left <= 0
        aged_left = aged_left - 1
      end
      if kept then break end
      last = entry[1]
      bytes = bytes - #frame
      size = size - 1
    end
    from = '(' .. chunk[#chunk][1]
    want = math.min(want * 4, 256)
  end
  if last then
    trim_through(seq_of(last))
    redis.call('HSET', m, 'bytes', bytes)
  end
end
local function append(seq, frame, at)
  redis.call('XADD', x, seq .. '-0', 'f', frame, 'a', at, 'c', redis.call('HINCRBY', m, 'total', #frame))
  evict(redis.call('HINCRBY', m, 'bytes', #frame))
end
-- appends to \`out\` the held events after seq \`after\`, oldest first: at most \`max_n\` of them, and none
-- after the one that brings their frames to \`max_b\` bytes (a page: at least one event if any is held)
local function page(out, after, max_n, max_b)
  local from = '(' .. after .. '-0'
  while max_n > 0 and max_b > 0 do
    local want = math.min(max_n, 32)
    local chunk = redis.call('XRANGE', x, from, '+', 'COUNT', want)
    for _, entry in ipairs(chunk) do
      if max_n <= 0 or max_b <= 0 then return out end
      local frame = entry[2][2]
      out[#out + 1] = seq_of(entry[1])
      out[#out + 1] = entry[2][4]
      out[#out + 1] = frame
      max_n = max_n - 1
      max_b = max_b - #frame
      from = '(' .. entry[1]
    end
    if #chunk < want then return out end
  end
  return out
end
-- the oldest held seq, -1 when none
local function oldest_seq()
  local oldest = at_or_after(0)
  return oldest and oldest[1] or -1
end
`

/**
 * Publishes a batch of the user's events, in order, each as one step (seq,
 * append, bounds, PUBLISH). ARGV 9: epoch (if the stream is made here); 10:
 * how many events; then 9 per event: head, tail, at, token, guard key, guard
 * value, retry (1: its token may have been published before: a retry after
 * a timeout, or a caller's own token), run and run owner (hex; both '' but
 * for a run's `agent_completed`). Returns one result per event: its seq; -1
 * when its guard does not hold (the event belongs to a lease, a run's owner,
 * that lapsed: refused); -2 with a run its owner no longer holds (its end
 * recorded already, by an earlier attempt whose token was forgotten, or
 * claimed by a survivor, who ends it NODE_LOST). An event to retry whose
 * token is among the last `PUBLISH_TOKENS` publishes gets that seq instead
 * of being published again. With a run, the run's end is recorded in the
 * event's step (`end_run`, as `runs.ended`), and only if it is published.
 */
export const publish = new RedisScript(
  "streams.publish",
  common + endRunLua + `
local p, n = prefix .. 'st:{' .. user .. '}:p', tonumber(ARGV[10])
-- the seqs of the tokens published last (newest first), read once, for the events retried
local published
local function published_seq(token)
  if not published then
    published = {}
    for _, done in ipairs(redis.call('LRANGE', p, 0, -1)) do
      local t, s = string.match(done, '^(.*):(%d+)$')
      if t and published[t] == nil then published[t] = tonumber(s) end
    end
  end
  return published[token]
end
local out = {}
for i = 0, n - 1 do
  local a = 11 + i * 9
  local head, tail, at, token = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local guard, holder, run, run_owner = ARGV[a + 4], ARGV[a + 5], ARGV[a + 7], ARGV[a + 8]
  local result = ARGV[a + 6] == '1' and published_seq(token) or nil
  if result then
    -- published by an earlier attempt: its seq
  elseif guard ~= '' and redis.call('GET', guard) ~= holder then
    result = -1
  elseif run ~= '' and not run_held(prefix, run_owner, run) then
    result = -2
  else
    -- \`open\` folded into the count: a stream absent until this HINCRBY is made here, its first seq 1
    local seq = redis.call('HINCRBY', m, 'seq', 1)
    if seq == 1 and redis.call('HSETNX', m, 'epoch', ARGV[9]) == 1 then
      redis.call('HSET', m, 'bytes', 0)
      redis.call('PUBLISH', channel, 'r' .. ARGV[9])
    end
    local frame = head .. seq .. tail
    append(seq, frame, at)
    redis.call('PUBLISH', channel, 'e' .. seq .. ':' .. at .. ':' .. redis.call('HGET', m, 'epoch') .. ':' .. frame)
    -- trimmed once it holds ${TOKENS_SLACK} more than it must: never fewer than the last ${PUBLISH_TOKENS}
    if redis.call('LPUSH', p, token .. ':' .. seq) > ${PUBLISH_TOKENS + TOKENS_SLACK} then redis.call('LTRIM', p, 0, ${PUBLISH_TOKENS - 1}) end
    if published then published[token] = seq end
    if run ~= '' then end_run(prefix, run_owner, user, run, now) end
    result = seq
  end
  out[#out + 1] = result
end
redis.call('PEXPIRE', p, 60000)
touch()
return out
`
)

/** ARGV 9: epoch (if the stream is made here). Returns {epoch, latest seq}. */
export const position = new RedisScript(
  "streams.position",
  common + `
open(ARGV[9])
touch()
return redis.call('HMGET', m, 'epoch', 'seq')
`
)

/** ARGV 9..12: epoch (if the stream is made here), seq, frame, at. Appends without publishing. */
export const append = new RedisScript(
  "streams.append",
  common + `
open(ARGV[9])
local seq = tonumber(ARGV[10])
redis.call('HSET', m, 'seq', seq)
append(seq, ARGV[11], ARGV[12])
touch()
return seq
`
)

/**
 * ARGV 9..11: after seq, max events, max bytes. Applies the bounds at
 * `now`, then returns {latest seq, oldest held seq or -1, seq1, at1, frame1,
 * seq2, ...} (latest 0: no stream): the first page of the held events after
 * the seq (see `page`).
 */
export const read = new RedisScript(
  "streams.read",
  common + `
if redis.call('EXISTS', m) == 0 then return {0, -1} end
evict()
touch()
local out = {tonumber(redis.call('HGET', m, 'seq')), oldest_seq()}
return page(out, ARGV[9], tonumber(ARGV[10]), tonumber(ARGV[11]))
`
)

/**
 * ARGV 9..13: epoch (if the stream is made here), after seq, max events,
 * max bytes, the SHA-1 (hex) of the frame the listener has at that seq ('':
 * none to check). What a listener missed: {epoch, latest seq, oldest held
 * seq or -1, 1 if the held event at that seq has another frame (Redis lost
 * the listener's and gave the seq again: a failover lost writes) else 0, seq1,
 * at1, frame1, seq2, ...}, a page at a time; the stream is made if absent (a
 * Redis restart lost it), so the listener learns the epoch every node will
 * use from now on.
 */
export const catchUp = new RedisScript(
  "streams.catchUp",
  common + `
open(ARGV[9])
evict()
touch()
local out = redis.call('HMGET', m, 'epoch', 'seq')
out[3] = oldest_seq()
out[4] = 0
if ARGV[13] ~= '' then
  local given = redis.call('XRANGE', x, ARGV[10] .. '-0', ARGV[10] .. '-0')
  if given[1] and redis.sha1hex(given[1][2][2]) ~= ARGV[13] then out[4] = 1 end
end
return page(out, ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12]))
`
)

/**
 * ARGV 9..10: the epoch the caller knows, a new epoch. Ends the stream's
 * epoch if it is still the one the caller knows (a node delivered events
 * only locally while Redis was away, with seqs other nodes' clients may have
 * seen for other events): the new epoch starts with the newest of the old
 * one's held events (the bounds applied at `now` first; at most `minEvents`
 * of them, and no more than `maxEvents`), in their order, renumbered from
 * seq 1 (the seq in each frame too), their `at` kept, and is announced with
 * its latest seq; the publish tokens of the carried events lead to their new
 * seqs. So what other nodes published meanwhile (a lost run's end) is still
 * there for a client's resume, unless more than `minEvents` events followed
 * it. A client resuming across the new epoch is replayed what it carries.
 * One script: no publish falls between the old epoch and the new one. Its
 * time grows with what it carries, and Redis runs nothing else meanwhile:
 * carrying the whole of a full history (about 10,000 events of 400 bytes)
 * took 81 ms with the script before this cap, a stall of every node's
 * commands once per user an outage diverged; the newest 1,000 (the default:
 * the count PROTOCOL §6 promises; its 10 minutes are not carried, a new
 * epoch being a gap anyway) take 7–15 ms (`scripts/bench/stream-script-cost.ts`).
 * Returns {epoch, latest seq}.
 */
export const restart = new RedisScript(
  "streams.restart",
  common + `
if redis.call('HGET', m, 'epoch') == ARGV[9] then
  -- a write Redis refuses when full, before any other: once a script has written, a full Redis lets its
  -- later writes through (evict's XTRIM and the UNLINK below are not refused), and the restart would end
  -- the epoch while Redis still refuses the publishes after it
  redis.call('HSET', m, 'epoch', ARGV[9])
  evict()
  -- (a count Redis takes whatever the settings: XREVRANGE answers a count of 0 with nil, and a huge one
  -- goes out as 1e+21)
  local carry = math.floor(math.min(min_events, max_events, 1000000000))
  local newest = carry > 0 and redis.call('XREVRANGE', x, '+', '-', 'COUNT', carry) or {}
  local held = {}
  for i = #newest, 1, -1 do held[#held + 1] = newest[i] end
  local p = prefix .. 'st:{' .. user .. '}:p'
  local tokens, tokens_ttl = redis.call('LRANGE', p, 0, -1), redis.call('PTTL', p)
  -- (UNLINK: the old stream, up to a full history, is freed off Redis's main thread)
  redis.call('UNLINK', x, p)
  local seqs, bytes = {}, 0
  for i, entry in ipairs(held) do
    seqs[string.match(entry[1], '^(%d+)')] = i
    -- a frame is head .. seq .. tail, the head {"type":…,"seq": (ServerFrame.streamEventHead): the first "seq":
    -- is the head's (none can be inside a string); its 6 characters are kept (from .. from + 5), the digits replaced
    local frame = entry[2][2]
    local from, to = string.find(frame, '"seq":%d+')
    if from then frame = string.sub(frame, 1, from + 5) .. i .. string.sub(frame, to + 1) end
    bytes = bytes + #frame
    redis.call('XADD', x, i .. '-0', 'f', frame, 'a', entry[2][4], 'c', bytes)
  end
  redis.call('HSET', m, 'epoch', ARGV[10], 'seq', #held, 'bytes', bytes, 'total', bytes)
  -- newest first, as publish keeps them; a token whose event was not carried is forgotten
  for _, done in ipairs(tokens) do
    local token, seq = string.match(done, '^(.*):(%d+)$')
    if seq and seqs[seq] then redis.call('RPUSH', p, token .. ':' .. seqs[seq]) end
  end
  if tokens_ttl > 0 then redis.call('PEXPIRE', p, tokens_ttl) end
  redis.call('PUBLISH', channel, 'r' .. ARGV[10] .. ':' .. #held)
end
open(ARGV[10])
touch()
return redis.call('HMGET', m, 'epoch', 'seq')
`
)

/** ARGV 9..: users (hex) whose keys a node keeps alive while it serves them (their TTL refreshed). */
export const keepAlive = new RedisScript(
  "streams.keepAlive",
  common + `
for i = 9, #ARGV do
  m, x = prefix .. 'st:{' .. ARGV[i] .. '}:m', prefix .. 'st:{' .. ARGV[i] .. '}:x'
  if redis.call('EXISTS', m) == 1 then touch() end
end
return 1
`
)

/** The events of a script's reply from index `from` on: `seq, at, frame` triples (`page`'s). */
export const entriesOf = (reply: ReadonlyArray<number | string>, from: number): Array<HistoryEntry> => {
  const entries: Array<HistoryEntry> = []
  for (let i = from; i + 2 < reply.length; i += 3) {
    entries.push({ seq: Number(reply[i]), at: Number(reply[i + 1]), frame: String(reply[i + 2]) })
  }
  return entries
}
