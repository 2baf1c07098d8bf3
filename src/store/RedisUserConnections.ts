import { randomBytes } from "node:crypto"
import { Duration, Effect, Layer, Schedule } from "effect"
import { OutageLog } from "../observability/OutageLog.js"
import { fromKeyPart, keyPart, Redis, RedisScript, retryTimeouts } from "./Redis.js"
import { RedisSettings } from "./RedisSettings.js"
import { type Reservation, type ShareListener, UserConnections } from "./UserConnections.js"

/**
 * The Redis `UserConnections` (cluster mode). Each node writes how many
 * connections it holds of each user into the user's hash, one field per
 * node process; a reservation sums the fields of the nodes that are alive
 * (their presence key, renewed every quarter of its TTL) and writes this
 * node's in the same script — so `MAX_CONNECTIONS_PER_USER` holds across
 * nodes exactly while Redis answers. A node that died stops counting within
 * the presence TTL (its presence expired; its fields are dropped by the next
 * reservation of their user). A count this node could not write (Redis
 * away) is written again with the next presence renewal, all of them if
 * its presence had expired meanwhile.
 *
 * The presence TTL is the node's run lease, `REDIS_RUN_LEASE_MS`: both say
 * how long a node that stopped answering is still taken for alive, so a dead
 * node stops counting for its users' connections as its runs end
 * `NODE_LOST`, one setting for both. Renewed as often as the lease (every
 * quarter of it): with the defaults a renewal may fail after a whole
 * `REDIS_COMMAND_TIMEOUT_MS` and the next still come in time.
 *
 * When a node starts or stops serving a user, the script tells the user's
 * other nodes (a message on each one's channel) how many nodes serve the
 * user now: each enforces that share of the user's message rate.
 *
 * Keys (under the prefix; `<user>`, `<node>` hex-encoded with `keyPart`):
 *   cn:alive:<node>   string  the node process's presence (PX the presence TTL)
 *   cn:{<user>}       hash    node → its connections of the user (a day's TTL, refreshed on every write)
 * Channel `cn:n:<node>`: `<nodes>:<user>`, the number of nodes now serving a user of that node.
 */

// attempts of one write while Redis is slow (each bounded by the command timeout; every write is idempotent)
const ATTEMPTS = 2

// more nodes serving one user than any cluster has: a count past it is not one (another version's, a hand's),
// which would shrink the user's rate share here to nothing
const MAX_NODES = 10_000

// the user's live nodes (dropping dead ones' fields) and this node's field set to `here`; the other
// live nodes are told when this node starts or stops serving the user. ARGV 1..4: prefix, user, self, here.
const common = `
local prefix, user, self, here = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = prefix .. 'cn:{' .. user .. '}'
local function others()
  local sum, peers, was = 0, {}, 0
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    local node, count = fields[i], tonumber(fields[i + 1])
    if node == self then was = count
    elseif redis.call('EXISTS', prefix .. 'cn:alive:' .. node) == 1 then
      sum = sum + count
      peers[#peers + 1] = node
    else
      redis.call('HDEL', key, node)
    end
  end
  return sum, peers, was
end
local function set(peers, was)
  if here > 0 then
    redis.call('HSET', key, self, here)
    redis.call('PEXPIRE', key, 86400000)
  else
    redis.call('HDEL', key, self)
  end
  local nodes = #peers + (here > 0 and 1 or 0)
  if (was > 0) ~= (here > 0) then
    for _, peer in ipairs(peers) do redis.call('PUBLISH', prefix .. 'cn:n:' .. peer, nodes .. ':' .. user) end
  end
  return nodes
end
`

/** ARGV 5: max (0: none). {1, nodes} counted, {0} over the limit. */
const reserveScript = new RedisScript(
  "connections.reserve",
  common + `
local max = tonumber(ARGV[5])
local sum, peers, was = others()
if max > 0 and sum + here > max then return {0} end
return {1, set(peers, was)}
`
)

/** This node's count of the user set (0: gone). Returns the nodes serving the user. */
const setScript = new RedisScript(
  "connections.set",
  common + `
local sum, peers, was = others()
return set(peers, was)
`
)

// ARGV: key, ttl. 1 if the presence was still there, 0 if it had expired (or is new)
const presenceScript = new RedisScript(
  "connections.presence",
  `
local existed = redis.call('EXISTS', ARGV[1])
redis.call('SET', ARGV[1], '1', 'PX', ARGV[2])
return existed
`
)

/**
 * The store of node `nodeId` on the node's `Redis`, for the scope's life;
 * `presenceMs`: how long the node still counts after its last renewal.
 */
export const make = Effect.fnUntraced(function*(nodeId: string, presenceMs: number) {
  const redis = yield* Redis
  const prefix = redis.prefix
  const self = keyPart(`${nodeId}/${randomBytes(4).toString("hex")}`)
  const presence = `${prefix}cn:alive:${self}`
  /** what this node last told of each user it serves (its connections of them) */
  const counts = new Map<string, number>()
  /** users whose count Redis did not take: written again with the next renewal */
  const dirty = new Set<string>()
  const listeners = new Set<ShareListener>()
  const tell = (userId: string, nodes: number) => {
    for (const listener of listeners) listener(userId, nodes)
  }

  const write = (userId: string, here: number) =>
    Effect.map(
      retryTimeouts(redis.eval(setScript, [], [prefix, keyPart(userId), self, here]), ATTEMPTS),
      (nodes) => {
        dirty.delete(userId)
        // (the user's last connection here closed: no share to keep)
        tell(userId, here > 0 ? Number(nodes) : 1)
      }
    )

  // tried 4 times a presence TTL: while Redis is away each fails, said once per outage
  const renewals = new OutageLog(
    "connections: presence not renewed, this node's connections may stop counting on the others",
    "connections: presence renewed again"
  )
  const renew = Effect.gen(function*() {
    const existed = yield* redis.eval(presenceScript, [], [presence, presenceMs])
    // this node counted for nobody while its presence was gone (other nodes dropped its fields): all again
    const again = Number(existed) === 0 ? [...counts.keys()] : [...dirty]
    for (const userId of again) yield* write(userId, counts.get(userId) ?? 0)
  }).pipe(Effect.matchEffect({ onFailure: (error) => renewals.failed(error.message), onSuccess: () => renewals.succeeded }))

  yield* renew
  yield* Effect.forkScoped(Effect.repeat(renew, Schedule.spaced(Duration.millis(Math.max(1, Math.floor(presenceMs / 4))))))
  // another node started or stopped serving one of this node's users: its share of their rate changes
  yield* Effect.forkScoped(Effect.retry(
    redis.subscribe(redis.key(`cn:n:${self}`), {
      // `<nodes>:<user key part>`; anything else (another version's, a hand's) is no count: a user's rate share
      // must not become NaN, 0 or negative nodes' worth
      onMessage: (message) => {
        const colon = message.indexOf(":")
        const nodes = Number(message.slice(0, colon))
        if (colon < 1 || !Number.isSafeInteger(nodes) || nodes < 1 || nodes > MAX_NODES) return redis.unreadable("connections")
        const userId = fromKeyPart(message.slice(colon + 1))
        if (counts.has(userId)) tell(userId, nodes)
      }
    }),
    Schedule.spaced("1 second")
  ))
  // a node going away takes its counts with it (else they count until its presence expires)
  yield* Effect.addFinalizer(() =>
    Effect.ignore(Effect.all([...counts.keys()].map((userId) => write(userId, 0)), { concurrency: 8, discard: true }))
  )

  return UserConnections.of({
    shared: true,
    reserve: (userId, here, max) =>
      Effect.matchEffect(retryTimeouts(redis.eval(reserveScript, [], [prefix, keyPart(userId), self, here, max]), ATTEMPTS), {
        onSuccess: (reply) => {
          const [admitted, nodes] = reply as [number, number?]
          if (admitted === 0) return Effect.succeed<Reservation>({ _tag: "Full" })
          counts.set(userId, here)
          dirty.delete(userId)
          tell(userId, Number(nodes))
          return Effect.succeed<Reservation>({ _tag: "Admitted", nodes: Number(nodes) })
        },
        onFailure: (error) =>
          Effect.sync((): Reservation => {
            // counted here anyway (the node's own limit holds): written once Redis answers
            counts.set(userId, here)
            dirty.add(userId)
            return { _tag: "Unknown", reason: error.message }
          })
      }),
    release: (userId, here) =>
      Effect.suspend(() => {
        if (here > 0) counts.set(userId, here)
        else counts.delete(userId)
        return Effect.catchAll(write(userId, here), () => Effect.sync(() => void dirty.add(userId)))
      }),
    shares: (listener) =>
      Effect.acquireRelease(
        Effect.sync(() => void listeners.add(listener)),
        () => Effect.sync(() => void listeners.delete(listener))
      )
  })
})

/**
 * The store of node `nodeId`: its presence lasts `REDIS_RUN_LEASE_MS` (the node's lease on its runs), and
 * at least three command timeouts, so that a lease set short for a quick failover does not let a slow
 * (not lost) Redis expire the presence of a live node, whose users' connections would stop counting.
 */
export const layer = (nodeId: string): Layer.Layer<UserConnections, never, Redis | RedisSettings> =>
  Layer.scoped(
    UserConnections,
    Effect.flatMap(RedisSettings, (settings) => make(nodeId, Math.max(settings.runLeaseMs, 3 * settings.commandTimeoutMs)))
  )

/** The store with a given presence TTL (tests). */
export const layerWith = (nodeId: string, presenceMs: number): Layer.Layer<UserConnections, never, Redis> =>
  Layer.scoped(UserConnections, make(nodeId, presenceMs))
