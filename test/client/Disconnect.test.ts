import { describe, expect, it } from "vitest"
import { fromCloseCode, fromRefusalStatus, reaction } from "../../src/client/Disconnect.js"
import { httpUrl } from "../../src/client/UpgradeProbe.js"

describe("what the client does when a connection ends (PROTOCOL §9)", () => {
  it("maps close codes to reasons, and reasons to reactions", () => {
    const react = (code: number) => [fromCloseCode(code), reaction(fromCloseCode(code))]
    expect(react(4001)).toEqual(["TokenExpired", "now"])
    expect(react(1012)).toEqual(["ServiceRestart", "now"])
    expect(react(1001)).toEqual(["GoingAway", "now"])
    expect(react(1013)).toEqual(["SlowConsumer", "backoff"])
    expect(react(4000)).toEqual(["HeartbeatTimeout", "now"])
    expect(react(1006)).toEqual(["Abnormal", "backoff"])
    expect(react(1009)).toEqual(["MessageTooBig", "backoff"])
  })

  it("stops for an upgrade refused with 401 or 403, and retries the others", () => {
    const react = (status: number) => [fromRefusalStatus(status), reaction(fromRefusalStatus(status))]
    expect(react(401)).toEqual(["Unauthorized", "stop"])
    expect(react(403)).toEqual(["Forbidden", "stop"])
    expect(react(429)).toEqual(["RateLimited", "backoff"])
    expect(react(503)).toEqual(["Unavailable", "backoff"])
    // 426: the service would have upgraded; something between failed the WebSocket
    expect(react(426)).toEqual(["Unreachable", "backoff"])
  })

  it("probes the WebSocket's URL over HTTP(S)", () => {
    expect(httpUrl("ws://host:8080/ws?access_token=t")).toBe("http://host:8080/ws?access_token=t")
    expect(httpUrl("wss://host/ws")).toBe("https://host/ws")
  })
})
