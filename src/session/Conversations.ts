import { Effect } from "effect"

/**
 * A user's conversation memory: the finished turns of each `thread_id`, so an
 * agent backed by a model can send a thread's previous turns with the next
 * message. It lives in the user's session (PROTOCOL §6) and goes with it.
 * Everything is bounded: turns per thread, threads per user (the least
 * recently used thread is forgotten first) and the characters one history
 * may carry to the model.
 */
export interface ConversationOptions {
  /** turns kept per thread, and sent at most */
  readonly maxTurns: number
  /** characters (user + assistant text) one history may carry at most */
  readonly maxChars: number
  /** threads remembered per user */
  readonly maxThreads: number
}

/** One finished exchange of a thread: what the user said and what the agent answered. */
export interface ConversationTurn {
  readonly user: string
  readonly assistant: string
}

/**
 * The newest turns of `turns` that fit both bounds, oldest first. A turn is
 * never cut in half: one that does not fit ends the history there, since a
 * gap in the middle would misrepresent the conversation.
 */
export const bounded = (
  turns: ReadonlyArray<ConversationTurn>,
  bounds: { readonly maxTurns: number; readonly maxChars: number }
): ReadonlyArray<ConversationTurn> => {
  let chars = 0
  let start = turns.length
  while (start > 0 && turns.length - start < bounds.maxTurns) {
    const turn = turns[start - 1]!
    const size = turn.user.length + turn.assistant.length
    if (chars + size > bounds.maxChars) break
    chars += size
    start--
  }
  return turns.slice(start)
}

/** The conversation memory of one user (one instance per user session). */
export class Conversations {
  // a Map keeps insertion order: re-inserting on use makes its first key the least recently used
  private readonly threads = new Map<string, Array<ConversationTurn>>()

  constructor(readonly options: ConversationOptions) {}

  /** The thread's previous turns to send to a model, oldest first, within the bounds. */
  history(threadId: string): Effect.Effect<ReadonlyArray<ConversationTurn>> {
    return Effect.sync(() => bounded(this.threads.get(threadId) ?? [], this.options))
  }

  /** Appends a finished turn to the thread, forgetting what falls outside the bounds. */
  record(threadId: string, turn: ConversationTurn): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.options.maxTurns <= 0 || this.options.maxThreads <= 0) return
      const turns = this.threads.get(threadId) ?? []
      this.threads.delete(threadId)
      turns.push(turn)
      if (turns.length > this.options.maxTurns) turns.splice(0, turns.length - this.options.maxTurns)
      this.threads.set(threadId, turns)
      for (const oldest of this.threads.keys()) {
        if (this.threads.size <= this.options.maxThreads) break
        this.threads.delete(oldest)
      }
    })
  }

  /** How many threads are remembered. */
  get size(): number {
    return this.threads.size
  }
}
