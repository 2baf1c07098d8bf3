/**
 * Canary selection: a stable hash of the user id picks which users the `next`
 * implementation serves in the `canary` stage, so a user never flips between
 * sides as traffic flows (only a change of `canary_percent` moves them).
 *
 * @since 0.1.0
 */

const encoder = new TextEncoder()

/**
 * 32-bit FNV-1a of the UTF-8 bytes of `text`: tiny, fast, well spread, and the
 * same on every node and every restart (unlike a seeded hash).
 *
 * @since 0.1.0
 */
export const fnv1a = (text: string): number => {
  let hash = 0x811c9dc5
  for (const byte of encoder.encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/**
 * The user's canary bucket, `0`–`99`.
 *
 * @since 0.1.0
 */
export const bucket = (userId: string): number => fnv1a(userId) % 100

/**
 * Does `next` serve this user at `percent` (`0`: nobody, `100`: everybody)?
 * Raising the percentage only adds users: whoever was in stays in.
 *
 * @since 0.1.0
 */
export const inCanary = (userId: string, percent: number): boolean => bucket(userId) < percent
