import { describe, expect, it } from "vitest"
import { developmentWarning } from "../../src/transport/Auth.js"
import { isLoopback } from "../../src/transport/Loopback.js"

describe("isLoopback (who may ask for a development token)", () => {
  it("takes 127.0.0.0/8 and ::1, also IPv4-mapped and in long form", () => {
    for (
      const address of [
        "127.0.0.1",
        "127.0.0.2",
        "127.255.255.254",
        "::1",
        "0:0:0:0:0:0:0:1",
        "::ffff:127.0.0.1",
        "::ffff:127.1.2.3",
        "::ffff:7f00:1"
      ]
    ) expect(isLoopback(address), address).toBe(true)
  })

  it("refuses every other address, mapped ones too", () => {
    for (
      const address of [
        "128.0.0.1",
        "126.255.255.255",
        "10.0.0.1",
        "192.0.2.2",
        "0.0.0.0",
        "::",
        "::2",
        "fd00::2",
        "fe80::1",
        "::ffff:10.0.0.1",
        "::ffff:192.0.2.2",
        // not IPv4-mapped: the IPv4-compatible and NAT64 forms are other hosts
        "64:ff9b::7f00:1"
      ]
    ) expect(isLoopback(address), address).toBe(false)
  })

  it("refuses what is not an address: no socket address, host names, header-like lists", () => {
    for (const address of [undefined, "", "localhost", "127.0.0.1, 10.0.0.1", " 127.0.0.1", "127.0.0.1:8080", "127.1"]) {
      expect(isLoopback(address), String(address)).toBe(false)
    }
  })
})

describe("the development-mode warning", () => {
  it("names where tokens are handed out, and calls out a bind that reaches other machines", () => {
    const local = developmentWarning("127.0.0.1", 8080)
    expect(local).toContain("POST /dev/token")
    expect(local).toContain("127.0.0.0/8, ::1")
    expect(local).toContain("127.0.0.1:8080, reachable from this machine only")
    const open = developmentWarning("0.0.0.0", 8080)
    expect(open).toContain("0.0.0.0:8080, REACHABLE FROM OTHER MACHINES")
    expect(open).toContain("HOST=127.0.0.1")
  })
})
