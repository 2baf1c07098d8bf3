import { existsSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parseOptions } from "../../scripts/bench/options.js"
import { serverNodeArgs } from "../../scripts/bench/server-node-args.js"

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

describe("the servers' node options", () => {
  const dir = join(tmpdir(), `bench-profiles-${process.pid}`)

  it("starts the servers as they are without a profiling option", () => {
    expect(serverNodeArgs(parseOptions([])!, dir)).toEqual([])
  })

  it("--cpu-prof writes each server's profile into the run's folder, made for it", () => {
    expect(serverNodeArgs(parseOptions(["--cpu-prof"])!, dir)).toEqual(["--cpu-prof", `--cpu-prof-dir=${dir}`])
    expect(existsSync(dir)).toBe(true)
    rmSync(dir, { recursive: true, force: true })
  })

  it("--perf-map gives perf the names of the servers' JavaScript frames, alone or with --cpu-prof", () => {
    expect(serverNodeArgs(parseOptions(["--perf-map"])!, dir)).toEqual([
      "--perf-basic-prof",
      "--no-logfile-per-isolate",
      `--logfile=${join(dir, "v8-%p.log")}`
    ])
    expect(serverNodeArgs(parseOptions(["--perf-map", "--cpu-prof"])!, dir)).toContain("--perf-basic-prof")
    rmSync(dir, { recursive: true, force: true })
  })

  it("--node-options gives every server those options, before any profiling one", () => {
    expect(serverNodeArgs(parseOptions(["--node-options= --interrupt-budget=16896  --max-semi-space-size=64 "])!, dir))
      .toEqual(["--interrupt-budget=16896", "--max-semi-space-size=64"])
    expect(serverNodeArgs(parseOptions(["--node-options=--maglev", "--cpu-prof"])!, dir))
      .toEqual(["--maglev", "--cpu-prof", `--cpu-prof-dir=${dir}`])
    rmSync(dir, { recursive: true, force: true })
  })
})
