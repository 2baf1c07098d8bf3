import { Context, Effect } from "effect"

/**
 * A user's conversation memory: the finished turns of each `thread_id`, so an
 * agent backed by a model can send a thread's previous turns with the next
 * message. It lives in the user's session (PROTOCOL §6) and goes with it.
 * Everything is bounded: turns per thread, threads per user (the least
 * recently used thread is forgotten first), the characters one history may
 * carry to the model — a thread keeps no more than that, since nothing more
 * could ever be sent — and the characters remembered across all of the
 * user's threads (PROTOCOL §10: bytes, not just counts).
 */
export interface ConversationOptions {
  /** turns kept per thread, and sent at most */
  readonly maxTurns: number
  /** characters (user + assistant text) one history may carry at most */
  readonly maxChars: number
  /** threads remembered per user */
  readonly maxThreads: number
  /** characters remembered across all threads of the user; absent: `maxThreads × maxChars` */
  readonly maxUserChars?: number | undefined
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

/** One remembered thread: its turns (already within the bounds) and their characters. */
interface Thread {
  readonly turns: ReadonlyArray<ConversationTurn>
  readonly chars: number
}

const charsOf = (turns: ReadonlyArray<ConversationTurn>): number =>
  turns.reduce((sum, turn) => sum + turn.user.length + turn.assistant.length, 0)

/** The conversation memory of one user (one instance per user session). */
export class ConversationMemory {
  // a Map keeps insertion order: re-inserting on use makes its first key the least recently used
  private readonly threads = new Map<string, Thread>()
  private totalChars = 0
  private readonly perThread: { readonly maxTurns: number; readonly maxChars: number }
  private readonly maxUserChars: number

  constructor(readonly options: ConversationOptions) {
    this.maxUserChars = options.maxUserChars ?? options.maxThreads * options.maxChars
    // a thread never holds more than one user's whole budget either
    this.perThread = { maxTurns: options.maxTurns, maxChars: Math.min(options.maxChars, this.maxUserChars) }
  }

  /** The thread's previous turns to send to a model, oldest first, within the bounds. */
  history(threadId: string): Effect.Effect<ReadonlyArray<ConversationTurn>> {
    return Effect.sync(() => this.threads.get(threadId)?.turns ?? [])
  }

  /**
   * Appends a finished turn to the thread and keeps only what a history could
   * still send; then forgets least recently used threads while the user is
   * over `maxThreads` or `maxUserChars` (never the thread just recorded: it
   * fits alone).
   */
  record(threadId: string, turn: ConversationTurn): Effect.Effect<void> {
    return Effect.sync(() => {
      if (this.options.maxTurns <= 0 || this.options.maxThreads <= 0) return
      const previous = this.threads.get(threadId)
      if (previous !== undefined) this.forget(threadId, previous)
      const turns = bounded([...(previous?.turns ?? []), turn], this.perThread)
      const chars = charsOf(turns)
      this.threads.set(threadId, { turns, chars })
      this.totalChars += chars
      for (const [oldestId, oldest] of this.threads) {
        if (this.threads.size <= this.options.maxThreads && this.totalChars <= this.maxUserChars) break
        if (oldestId === threadId) break
        this.forget(oldestId, oldest)
      }
    })
  }

  /** How many threads are remembered. */
  get size(): number {
    return this.threads.size
  }

  /** The characters remembered across all threads. */
  get chars(): number {
    return this.totalChars
  }

  private forget(threadId: string, thread: Thread): void {
    this.threads.delete(threadId)
    this.totalChars -= thread.chars
  }
}

/**
 * The conversation memory of the user a frame (or a run it started) works
 * for: provided per user, with the user's other services.
 */
export class Conversations extends Context.Tag("switchyard/Conversations")<Conversations, ConversationMemory>() {}
