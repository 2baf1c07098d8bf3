import { describe, expect, it } from "vitest"
import { parseOptions } from "../../scripts/bench/options.js"

describe("parseOptions --stream-servers", () => {
  it("runs the three one-node servers by default: service-cluster is opt-in", () => {
    expect(parseOptions([])?.streamServers).toEqual(["raw", "service", "socketio"])
  })

  it("takes service-cluster when asked for, in the usual order", () => {
    expect(parseOptions(["--stream-servers", "service-cluster,service"])?.streamServers).toEqual(["service", "service-cluster"])
  })

  it("refuses an unknown name", () => {
    expect(() => parseOptions(["--stream-servers", "cluster"])).toThrow(/unknown stream server cluster/)
  })
})
