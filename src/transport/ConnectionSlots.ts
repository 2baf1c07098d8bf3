/**
 * Connections per user (`MAX_CONNECTIONS_PER_USER`) and per process
 * (`MAX_CONNECTIONS`), counted from admission on: a slot is taken before the
 * handshake, so a burst of parallel upgrades cannot slip past the limit while
 * their handshakes are in flight, and given back exactly once — when the
 * upgrade fails, or when its socket closes.
 */

/** Why a slot was not given. */
export type Full = "process" | "user"

export class ConnectionSlots {
  private readonly perUser = new Map<string, number>()
  private total = 0

  constructor(
    /** per user; 0 or less: no limit */
    private readonly maxPerUser: number,
    /** per process; 0 or less: no limit */
    private readonly maxTotal: number
  ) {}

  /** Takes one of `userId`'s slots, or says which limit is reached. */
  take(userId: string): Full | undefined {
    if (this.maxTotal > 0 && this.total >= this.maxTotal) return "process"
    const held = this.perUser.get(userId) ?? 0
    if (this.maxPerUser > 0 && held >= this.maxPerUser) return "user"
    this.perUser.set(userId, held + 1)
    this.total += 1
    return undefined
  }

  /** Gives one of `userId`'s slots back. */
  give(userId: string): void {
    const held = this.perUser.get(userId)
    if (held === undefined) return
    if (held <= 1) this.perUser.delete(userId)
    else this.perUser.set(userId, held - 1)
    this.total -= 1
  }

  /** Slots taken, in all. */
  get taken(): number {
    return this.total
  }

  /** Slots `userId` holds. */
  heldBy(userId: string): number {
    return this.perUser.get(userId) ?? 0
  }
}
