import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { boundedJson } from "../../src/observability/BoundedJson.js"
import * as JsonLogger from "../../src/observability/JsonLogger.js"

const deep = (depth: number): unknown => {
  let value: unknown = {}
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

const cyclic = (): unknown => {
  const node: Record<string, unknown> = { name: "node" }
  node["self"] = node
  return node
}

const throwing = {
  get boom(): string {
    throw new Error("a getter that throws")
  }
}

const nasty: ReadonlyArray<unknown> = [
  deep(100_000),
  BigInt(7),
  cyclic(),
  throwing,
  "x".repeat(2_000_000),
  Array.from({ length: 1_000_000 }, (_, i) => i),
  Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])),
  new Proxy({}, { ownKeys: () => { throw new Error("no keys") } })
]

describe("BoundedJson", () => {
  it("writes valid, bounded JSON of any value, never throwing", () => {
    for (const value of nasty) {
      const text = boundedJson(value, { maxChars: 300, maxDepth: 6 })
      expect(() => JSON.parse(text)).not.toThrow()
      expect(text.length).toBeLessThan(400)
    }
    expect(JSON.parse(boundedJson({ a: [1, "two", null], b: true }, { maxChars: 300, maxDepth: 6 }))).toEqual({
      a: [1, "two", null],
      b: true
    })
  })
})

describe("JsonLogger", () => {
  it.effect("writes one bounded JSON line per entry, whatever is logged or annotated", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const logger = JsonLogger.make((line) => lines.push(line))
      for (const value of nasty) {
        yield* Effect.logWarning("something", { value }).pipe(
          Effect.annotateLogs("weird", value),
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
      }
      yield* Effect.logError("died", new Error("boom")).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
      expect(lines).toHaveLength(nasty.length + 1)
      for (const line of lines) {
        const parsed = JSON.parse(line) as { message: unknown; logLevel: string; annotations: object }
        expect(parsed.logLevel).toMatch(/WARN|ERROR/)
        expect(line.length).toBeLessThan(16_384)
      }
    }))
})
