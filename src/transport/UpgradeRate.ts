/**
 * Upgrades per address per minute (`UPGRADES_PER_MIN_PER_ADDRESS`): a token
 * bucket per address — a burst of `perMinute` upgrades, then `perMinute` a
 * minute. Not effect's `RateLimiter`: that one delays its caller until a
 * token is free, where an upgrade must be refused at once with `Retry-After`,
 * and it holds one limiter per key with no bound on the keys.
 *
 * Memory is bounded: the map holds at most `maxAddresses` buckets, kept in
 * order of last use. A bucket untouched for a minute is full again, which is
 * the same as no bucket, so those are dropped as time passes; past the cap the
 * least recently seen address is forgotten (that only ever lets someone in,
 * it never locks anyone out).
 */

const MINUTE_MS = 60_000

interface Bucket {
  tokens: number
  at: number
}

/** The outcome of one attempt: allowed, or refused with the seconds until one is allowed. */
export type Attempt = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterS: number }

const ALLOWED: Attempt = { allowed: true }

export class UpgradeRate {
  private readonly buckets = new Map<string, Bucket>()

  constructor(
    /** upgrades per minute per address; 0 or less: no limit */
    private readonly perMinute: number,
    private readonly maxAddresses: number
  ) {}

  /** Counts one upgrade from `address` at `now` (ms), if its bucket has a token. */
  attempt(address: string, now: number): Attempt {
    if (this.perMinute <= 0) return ALLOWED
    this.expire(now)
    const key = rateKey(address)
    const bucket = this.buckets.get(key)
    const tokens = bucket === undefined
      ? this.perMinute
      : Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * this.perMinute / MINUTE_MS)
    if (tokens < 1) {
      // not touched: a refused address does not push its own refill further away
      return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) * MINUTE_MS / this.perMinute / 1000)) }
    }
    // re-inserted at the end: the map stays in order of last use
    this.buckets.delete(key)
    this.buckets.set(key, { tokens: tokens - 1, at: now })
    while (this.buckets.size > Math.max(1, this.maxAddresses)) this.forgetOldest()
    return ALLOWED
  }

  /** How many addresses are remembered (for tests and the curious). */
  get size(): number {
    return this.buckets.size
  }

  // from the least recently used end: stops at the first bucket touched within the last minute
  private expire(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at < MINUTE_MS) return
      this.buckets.delete(key)
    }
  }

  private forgetOldest(): void {
    const oldest = this.buckets.keys().next()
    if (oldest.done !== true) this.buckets.delete(oldest.value)
  }
}

/**
 * Which budget an address spends: an IPv4 address (also written IPv4-mapped,
 * `::ffff:a.b.c.d`) is its own; an IPv6 address shares its /64, the block one
 * host or home is given, so rotating through it does not buy more upgrades.
 */
export const rateKey = (address: string): string => {
  const lower = address.toLowerCase()
  if (lower.startsWith("::ffff:") && lower.includes(".")) return lower.slice(7)
  if (!lower.includes(":")) return lower
  const groups = expand(lower)
  return groups === undefined ? lower : `${groups.slice(0, 4).join(":")}::/64`
}

// "2001:db8::1" → ["2001", "db8", "0", "0", "0", "0", "0", "1"]; undefined if not plain IPv6
const expand = (address: string): ReadonlyArray<string> | undefined => {
  const zone = address.indexOf("%")
  const bare = zone < 0 ? address : address.slice(0, zone)
  const halves = bare.split("::")
  if (halves.length > 2) return undefined
  const head = halves[0] === "" ? [] : halves[0]!.split(":")
  const tail = halves.length === 1 || halves[1] === "" ? [] : halves[1]!.split(":")
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined
  const groups = [...head, ...Array.from({ length: missing }, () => "0"), ...tail]
  return groups.map((group) => group.replace(/^0+(?=.)/, ""))
}
