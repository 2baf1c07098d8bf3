/**
 * A server's `Retry-After`, as the client follows it: a server's word bounds
 * the wait from below only (the reconnect schedule still steps, so `0` is no
 * tight loop), and from above by {@link MAX_RETRY_AFTER_MS} (a huge value does
 * not leave the client stuck). Jittered up to +20%, so that the clients one
 * refusal sent away do not all come back in the same instant.
 */

export const MAX_RETRY_AFTER_MS = 5 * 60_000

/** How long to wait in all (at least: the schedule's delay waits first) for `retryAfterMs`; `random` in [0, 1). */
export const retryAfterDelay = (retryAfterMs: number, random: number): number => {
  const asked = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : 0
  return Math.min(asked * (1 + 0.2 * random), MAX_RETRY_AFTER_MS)
}
