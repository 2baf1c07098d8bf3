import { ConfigProvider, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ServerSettings } from "../../src/transport/ServerSettings.js"
import { allowsOrigin, normalizeOrigin } from "../../src/transport/OriginPolicy.js"

const allowed = new Set(["https://app.example.com", "http://localhost:3000"])

describe("allowsOrigin (ALLOWED_ORIGINS)", () => {
  it("lets in a listed origin, and an upgrade without Origin", () => {
    expect(allowsOrigin(allowed, { origin: "https://app.example.com" })).toBe(true)
    expect(allowsOrigin(allowed, { origin: "HTTP://LOCALHOST:3000" })).toBe(true)
    expect(allowsOrigin(allowed, {})).toBe(true)
  })

  it("refuses any other origin: look-alikes, other scheme or port, null, a repeated header", () => {
    for (
      const origin of [
        "https://evil.example.com",
        "https://app.example.com.evil.com",
        "http://app.example.com",
        "https://app.example.com:8443",
        "http://localhost:3001",
        "null",
        ""
      ]
    ) expect(allowsOrigin(allowed, { origin }), origin).toBe(false)
    expect(allowsOrigin(allowed, { origin: ["https://app.example.com", "https://evil.example.com"] })).toBe(false)
  })

  it("without a list, lets every origin in", () => {
    expect(allowsOrigin(undefined, { origin: "https://evil.example.com" })).toBe(true)
  })
})

describe("normalizeOrigin", () => {
  it("serializes an origin as browsers send it", () => {
    expect(normalizeOrigin("https://App.Example.com/")).toBe("https://app.example.com")
    expect(normalizeOrigin("https://app.example.com:443")).toBe("https://app.example.com")
    expect(normalizeOrigin("http://localhost:3000")).toBe("http://localhost:3000")
    expect(normalizeOrigin("chrome-extension://Abcdef")).toBe("chrome-extension://abcdef")
  })

  it("refuses what is not an origin", () => {
    for (const bad of ["app.example.com", "https://app.example.com/path", "https://a.com/?q=1", "https://u:p@a.com", "*", "null"]) {
      expect(normalizeOrigin(bad), bad).toBeUndefined()
    }
  })
})

describe("ALLOWED_ORIGINS in the configuration", () => {
  const read = (env: Record<string, string>) =>
    Effect.runPromise(Effect.either(Effect.provide(ServerSettings, ServerSettings.layer).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )))

  it("is a comma list of origins, normalized; unset or blank: no check; a bad entry stops the start", async () => {
    const set = await read({ ALLOWED_ORIGINS: " https://App.example.com/ ,http://localhost:3000" })
    expect(set._tag === "Right" && set.right.allowedOrigins).toEqual(["https://app.example.com", "http://localhost:3000"])
    const unset = await read({})
    expect(unset._tag === "Right" && unset.right.allowedOrigins).toBeUndefined()
    const blank = await read({ ALLOWED_ORIGINS: " " })
    expect(blank._tag === "Right" && blank.right.allowedOrigins).toBeUndefined()
    const bad = await read({ ALLOWED_ORIGINS: "https://ok.example.com,app.example.com" })
    expect(bad._tag).toBe("Left")
  })
})
