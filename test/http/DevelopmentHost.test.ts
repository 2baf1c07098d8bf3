import { ConfigProvider, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { ServerSettings } from "../../src/transport/ServerSettings.js"

// development mode signs tokens with a public secret: it must not listen beyond this machine unless told to
describe("HOST", () => {
  const hostOf = (env: Record<string, string>) =>
    Effect.runPromise(Effect.provide(ServerSettings, ServerSettings.layer).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.map((settings) => settings.host)
    ))

  it("is 127.0.0.1 in development mode (no JWT_SECRET, or an empty one), 0.0.0.0 with a secret, and whatever HOST says", async () => {
    expect(await hostOf({})).toBe("127.0.0.1")
    expect(await hostOf({ JWT_SECRET: "" })).toBe("127.0.0.1")
    expect(await hostOf({ JWT_SECRET: "s3cret-for-a-test" })).toBe("0.0.0.0")
    expect(await hostOf({ HOST: "0.0.0.0" })).toBe("0.0.0.0")
    expect(await hostOf({ JWT_SECRET: "s3cret-for-a-test", HOST: "127.0.0.2" })).toBe("127.0.0.2")
  })
})
