/** The fields of a server frame the load generator looks at (PROTOCOL §3). */
export interface ServerFrame {
  readonly type: string
  readonly id: string | undefined
  readonly seq: number | undefined
  readonly runId: string | undefined
  /** the frame's `ts` as epoch milliseconds */
  readonly tsMillis: number | undefined
  readonly payload: Readonly<Record<string, unknown>>
}

const field = (value: object, name: string): unknown => Reflect.get(value, name)

const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

/** Decodes one text frame; undefined when it is not a JSON object with a string `type`. */
export const parseServerFrame = (text: string): ServerFrame | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return toServerFrame(value)
}

/** The fields of a decoded frame (Socket.IO hands the baseline's frames over already parsed). */
export const toServerFrame = (value: unknown): ServerFrame | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const type = field(value, "type")
  if (typeof type !== "string") return undefined
  const seq = field(value, "seq")
  const ts = asString(field(value, "ts"))
  const payload = field(value, "payload")
  const tsMillis = ts === undefined ? Number.NaN : Date.parse(ts)
  return {
    type,
    id: asString(field(value, "id")),
    seq: typeof seq === "number" ? seq : undefined,
    runId: asString(field(value, "run_id")),
    tsMillis: Number.isFinite(tsMillis) ? tsMillis : undefined,
    payload: typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : {}
  }
}

/** Wall-clock time in epoch milliseconds with sub-millisecond resolution (comparable with `ts`). */
export const wallClockMillis = (): number => performance.timeOrigin + performance.now()
