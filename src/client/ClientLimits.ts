/**
 * What a client buffers, bounded: a server that streams faster than the app
 * reads, or off its contract, must not grow the client's heap without limit.
 * Every bound, once passed, ends the connection; the next one resumes from
 * the last event delivered, so the stream's history covers what was dropped.
 */
export interface ClientLimits {
  /**
   * Per buffer, in frames: frames received and not yet handled; batches of
   * events published and not yet read by the slowest subscriber; events held
   * past a hole while a resume replays. Default 10,000 (the server's history
   * holds at most 10,000 events, so a full replay fits).
   */
  readonly maxBufferedFrames: number
  /** Per buffer, in characters of JSON text (received, or held past a hole). Default 16 MiB. */
  readonly maxBufferedBytes: number
}

export const defaultLimits: ClientLimits = {
  maxBufferedFrames: 10_000,
  maxBufferedBytes: 16 * 1024 * 1024
}

/** The client's limits: the defaults, with the options' own. */
export const limitsOf = (limits: Partial<ClientLimits> | undefined): ClientLimits => ({ ...defaultLimits, ...limits })
