/** Why an upgrade is refused: the HTTP status and the `error` of its JSON body. */
export interface Refusal {
  readonly status: 401 | 403 | 426 | 429 | 503
  readonly error: string
  /** sent as `Retry-After` (seconds) */
  readonly retryAfterS?: number
}
