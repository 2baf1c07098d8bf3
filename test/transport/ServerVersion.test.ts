import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { SERVER_VERSION } from "../../src/transport/ServeConnection.js"

describe("SERVER_VERSION", () => {
  it("is package.json's version: a release bumps both", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
    expect(SERVER_VERSION).toBe(pkg.version)
  })
})
