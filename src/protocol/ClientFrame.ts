import { Either, Schema } from "effect"
import { toFrameError } from "./DecodeFailure.js"
import { FrameError } from "./FrameError.js"
import { DEFAULT_MAX_JSON_DEPTH, firstTooDeep, topLevelAt } from "./JsonDepth.js"

/** A string of `min`–`max` characters, described as such in errors. */
export const BoundedString = (min: number, max: number) =>
  Schema.String.pipe(
    Schema.filter((s) => s.length >= min && s.length <= max, {
      description: `a string of ${min}-${max} characters`,
      jsonSchema: { minLength: min, maxLength: max }
    })
  )

/** A client's message id: 1–128 characters (PROTOCOL §3). */
export const MessageId = BoundedString(1, 128)

/** A JSON object, as a payload must be. */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  description: "an object"
})

/**
 * The envelope of every client frame (PROTOCOL §3). `id` comes first so that
 * a bad id is reported before anything else: its error can't carry the id.
 * Unknown top-level fields (a forged `user_id`, say) are dropped.
 */
export const ClientFrame = Schema.Struct({
  id: Schema.optional(MessageId),
  type: BoundedString(1, 128),
  payload: Schema.optionalWith(JsonObject, { default: () => ({}) })
})

/** A decoded client frame. */
export type ClientFrame = typeof ClientFrame.Type

/** A frame that failed to decode, with the id to answer with when it had a valid one. */
export interface RejectedFrame {
  readonly id: string | undefined
  readonly error: FrameError
}

const decodeEnvelope = Schema.decodeUnknownEither(ClientFrame)
const decodeId = Schema.decodeUnknownEither(MessageId)

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const isBounded = (u: unknown, max: number): u is string => typeof u === "string" && u.length >= 1 && u.length <= max

/**
 * The envelope of a well-formed frame, checked by hand: what `ClientFrame`
 * decodes it to, without the schema interpreter (a third of the frame path's
 * decoding cost). `undefined` when anything is off: the schema then decides,
 * and words the error. A test holds it to the schema.
 */
export const wellFormedEnvelope = (value: Readonly<Record<string, unknown>>): ClientFrame | undefined => {
  const { id, type, payload } = value
  if (!isBounded(type, 128) || (id !== undefined && !isBounded(id, 128))) return undefined
  if (payload !== undefined && !isPlainObject(payload)) return undefined
  const body = (payload ?? {}) as ClientFrame["payload"]
  return id === undefined ? { type, payload: body } : { id, type, payload: body }
}

/**
 * Decodes one already-parsed JSON value into a client frame. Never throws: a
 * value of any shape yields either a frame or a typed rejection.
 */
export const decodeValue = (value: unknown): Either.Either<ClientFrame, RejectedFrame> => {
  if (!isPlainObject(value)) {
    return Either.left({
      id: undefined,
      error: FrameError.invalidMessage("a frame must be a JSON object", [], "an object")
    })
  }
  const wellFormed = wellFormedEnvelope(value)
  if (wellFormed !== undefined) return Either.right(wellFormed)
  const decoded = decodeEnvelope(value)
  if (Either.isRight(decoded)) return Either.right(decoded.right)
  const rawId = value["id"]
  const id = rawId !== undefined && Either.isRight(decodeId(rawId)) ? rawId as string : undefined
  return Either.left({ id, error: toFrameError(decoded.left) })
}

/**
 * Parses and decodes one text frame: `INVALID_JSON` when it is not JSON at
 * all, `INVALID_MESSAGE` when it nests deeper than `maxDepth` (checked on the
 * raw text, so nothing recursive ever sees such a value; a batch's inner
 * frames are part of the same text).
 */
export const decodeText = (
  text: string,
  maxDepth: number = DEFAULT_MAX_JSON_DEPTH
): Either.Either<ClientFrame, RejectedFrame> => {
  const tooDeep = firstTooDeep(text, maxDepth)
  if (tooDeep !== -1) return Either.left(rejectDepth(text, tooDeep, maxDepth))
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return Either.left({
      id: undefined,
      error: new FrameError({ code: "INVALID_JSON", message: "the frame is not valid JSON" })
    })
  }
  return decodeValue(value)
}

// answered with the frame's id when its top level has a valid one, and the member that was too deep
const rejectDepth = (text: string, at: number, maxDepth: number): RejectedFrame => {
  const { id, key } = topLevelAt(text, at)
  const path = key === undefined ? [] : [key]
  const where = key === undefined ? "frame" : key
  return {
    id: isBounded(id, 128) ? id : undefined,
    error: FrameError.invalidMessage(
      `${where}: nested deeper than ${maxDepth} levels`,
      path,
      `at most ${maxDepth} levels of nested arrays and objects`
    )
  }
}
