import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The layout of src/ (README "Layout"): a frame goes down this list, and so do
 * imports. A folder may import its own files and any folder below it, never one
 * above; `protocol/` imports only `effect`. The files at the root of src/ (the
 * composition: main, Switchyard, index, testing) may import anything.
 */
const LAYERS = [
  "browser", // scripts bundled for the dashboard page (http/ serves them by path, never imports them)
  "client", // switchyard/client: a client of the protocol, beside the server (it imports protocol/ only)
  "http", // routes and the Node server: health, ready, metrics, admin, dashboard
  "transport", // sockets: upgrade + admission, Connection, Inbox, heartbeat, drain
  "pipeline", // one frame's way: decode → limits → middleware → route → handler → reply
  "migration", // wraps a handler: stages, shadow, canary, legacy adapters, rollback
  "handlers", // what a handler is, and the built-in ones
  "resilience", // circuit breaker, timeouts and retries, rate limits
  "agent", // agents, runs, tools, run quality
  "state", // per-user services: stream, conversations, alert subscriptions; node lifecycle
  "store", // the seam between one node and many: backplane, dedupe, history, stages
  "observability", // metrics, Prometheus, logging
  "protocol" // wire schemas only
] as const

const SRC = path.resolve(__dirname, "../../src")

const sourceFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith(".ts") ? [full] : []
  })

/** Every module specifier a file imports or re-exports (type-only ones too: they are structure as well). */
const specifiers = (file: string): Array<string> => {
  const text = fs.readFileSync(file, "utf8")
  const found: Array<string> = []
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']/g)) found.push(match[1]!)
  for (const match of text.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)) found.push(match[1]!)
  for (const match of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!)
  return found
}

const folderOf = (file: string): string => {
  const relative = path.relative(SRC, file)
  return relative.includes(path.sep) ? relative.split(path.sep)[0]! : "."
}

const rank = (folder: string): number => {
  const at = LAYERS.indexOf(folder as (typeof LAYERS)[number])
  return at === -1 ? Number.NaN : at
}

interface Edge {
  readonly from: string
  readonly to: string
}

const edges: Array<Edge> = sourceFiles(SRC).flatMap((file) =>
  specifiers(file).map((specifier) => ({
    from: file,
    to: specifier.startsWith(".") ? path.resolve(path.dirname(file), specifier.replace(/\.js$/, ".ts")) : specifier
  }))
)

const show = (edge: Edge) => `${path.relative(SRC, edge.from)} → ${edge.to.startsWith("/") ? path.relative(SRC, edge.to) : edge.to}`

describe("the layout of src/", () => {
  it("has every folder in the list of layers", () => {
    const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)
    expect(folders.filter((folder) => Number.isNaN(rank(folder)))).toEqual([])
  })

  it("imports only point down the layers", () => {
    const upward = edges.filter((edge) => {
      if (!edge.to.startsWith("/")) return false
      const from = folderOf(edge.from)
      const to = folderOf(edge.to)
      if (from === "." || from === to) return false
      // a root file (the composition) is above every layer
      return to === "." || rank(to) < rank(from)
    })
    expect(upward.map(show)).toEqual([])
  })

  it("keeps protocol/ free of everything but effect", () => {
    const foreign = edges.filter((edge) =>
      folderOf(edge.from) === "protocol" &&
      (edge.to.startsWith("/") ? folderOf(edge.to) !== "protocol" : !/^effect(\/|$)/.test(edge.to))
    )
    expect(foreign.map(show)).toEqual([])
  })

  it("keeps client/ apart from the server and from Node: it imports protocol/, effect and @effect/platform", () => {
    const foreign = edges.filter((edge) =>
      folderOf(edge.from) === "client" &&
      (edge.to.startsWith("/")
        ? !["client", "protocol"].includes(folderOf(edge.to))
        : !/^(effect|@effect\/platform)(\/|$)/.test(edge.to))
    )
    expect(foreign.map(show)).toEqual([])
  })

  it("keeps browser/ to the client: it imports client/, effect and @effect/platform", () => {
    const foreign = edges.filter((edge) =>
      folderOf(edge.from) === "browser" &&
      (edge.to.startsWith("/")
        ? !["browser", "client"].includes(folderOf(edge.to))
        : !/^(effect|@effect\/platform)(\/|$)/.test(edge.to))
    )
    expect(foreign.map(show)).toEqual([])
  })

  it("has no import cycles between files", () => {
    const graph = new Map<string, Array<string>>()
    for (const edge of edges) {
      if (edge.to.startsWith("/")) graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to])
    }
    const cycles: Array<string> = []
    const state = new Map<string, "open" | "done">()
    const stack: Array<string> = []
    const visit = (file: string): void => {
      state.set(file, "open")
      stack.push(file)
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === "open") {
          cycles.push(stack.slice(stack.indexOf(next)).concat(next).map((f) => path.relative(SRC, f)).join(" → "))
        } else if (state.get(next) === undefined) visit(next)
      }
      stack.pop()
      state.set(file, "done")
    }
    for (const file of graph.keys()) if (state.get(file) === undefined) visit(file)
    expect(cycles).toEqual([])
  })
})
