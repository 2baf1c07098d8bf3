/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, e.g. from
 * `npm run bench -- --cpu-prof`): where the busy time went, by area (a
 * package, a folder of src/, node's internals, GC) and by function, self and
 * inclusive. With `--per N` every figure is also given in µs per unit (e.g.
 * per delivered delta: pass the number the bench delivered while profiling).
 * `--from S` leaves out the first S seconds (start-up), `--to S` what follows
 * S seconds; `--window A,B` keeps the samples between two moments of the
 * monotonic clock in µs (`connect-profile.ts` prints them); `--match RE` keeps
 * the functions whose name or file matches; `--top N` rows per table.
 *
 *   npx tsx scripts/bench/profile-summary.ts bench-results/profiles/stream-service-1/*.cpuprofile --per 400000
 */
import { existsSync, readFileSync } from "node:fs"
import { SourceMap, type SourceMapPayload } from "node:module"
import { parseArgs } from "node:util"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber?: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

interface Profile {
  readonly startTime: number
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/**
 * The profile with each frame of bundled code (`npm start` runs an esbuild
 * bundle) moved back to the file it came from, by the bundle's source maps
 * (`<file>.map` beside it): a frame of `bundle/chunk-….js` becomes one of
 * `node_modules/effect/…` or `src/…`, so the areas below mean what they say.
 */
export const unbundle = (profile: Profile): Profile => {
  const maps = new Map<string, SourceMap | undefined>()
  const mapOf = (url: string): SourceMap | undefined => {
    if (!maps.has(url)) {
      const path = url.replace(/^file:\/\//, "")
      maps.set(url, url.endsWith(".js") && existsSync(`${path}.map`)
        ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8")) as SourceMapPayload)
        : undefined)
    }
    return maps.get(url)
  }
  const nodes = profile.nodes.map((node) => {
    const frame = node.callFrame
    const map = frame.url === "" ? undefined : mapOf(frame.url)
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber ?? 0)
    if (entry === undefined || !("originalSource" in entry)) return node
    const url = new URL(entry.originalSource, frame.url).href
    return { ...node, callFrame: { ...frame, url, lineNumber: entry.originalLine } }
  })
  return { ...profile, nodes }
}

/** The area a frame's code belongs to: a package, a folder of the service, node itself, or V8's own. */
export const areaOf = (frame: CallFrame): string => {
  const { url, functionName } = frame
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)"
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/").slice(0, 2).join("/")}`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg !== null) return pkg[1]!
  const dist = /\/dist\/[0-9a-f]+\/(?:src\/)?(.+)$/.exec(url) ?? /\/src\/(.+)$/.exec(url)
  if (dist !== null) {
    const parts = dist[1]!.split("/")
    return `src/${parts.length > 1 ? parts[0] : parts[0]!.replace(/\.[mc]?js$|\.ts$/, "")}`
  }
  return url.replace(/^file:\/\//, "").split("/").slice(-2).join("/")
}

const nameOf = (frame: CallFrame): string => {
  const file = frame.url === "" ? "" : ` ${frame.url.replace(/^file:\/\//, "").replace(/^.*node_modules\//, "").replace(/^.*\/dist\/[0-9a-f]+\/(?:src\/)?/, "src/")}:${frame.lineNumber + 1}`
  return `${frame.functionName === "" ? "(anonymous)" : frame.functionName}${file}`
}

/** Self and inclusive time (µs) by function and by area, idle left out; samples outside `fromMicros`..`toMicros` (after the start) too. */
export const summarise = (profile: Profile, fromMicros = 0, toMicros = Infinity) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const selfFn = new Map<string, number>()
  const selfArea = new Map<string, number>()
  const totalFn = new Map<string, number>()
  const totalArea = new Map<string, number>()
  let busy = 0
  let idle = 0
  const add = (map: Map<string, number>, key: string, micros: number): void => void map.set(key, (map.get(key) ?? 0) + micros)
  let elapsed = 0
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0
    elapsed += micros
    const node = byId.get(id)
    if (node === undefined || elapsed < fromMicros || elapsed > toMicros) return
    if (node.callFrame.functionName === "(idle)") {
      idle += micros
      return
    }
    busy += micros
    add(selfFn, nameOf(node.callFrame), micros)
    add(selfArea, areaOf(node.callFrame), micros)
    // inclusive: each function and area once per sample, however deep it recurs
    const fns = new Set<string>()
    const areas = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame
      if (frame.functionName === "(root)") continue
      fns.add(nameOf(frame))
      areas.add(areaOf(frame))
    }
    for (const fn of fns) add(totalFn, fn, micros)
    for (const area of areas) add(totalArea, area, micros)
  })
  return { busy, idle, selfFn, selfArea, totalFn, totalArea }
}

const main = (): void => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      per: { type: "string" },
      top: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      // monotonic µs (process.hrtime, the profile's clock), e.g. connect-profile.ts's window_us
      window: { type: "string" },
      match: { type: "string" }
    }
  })
  const match = values.match === undefined ? undefined : new RegExp(values.match)
  const per = values.per === undefined ? undefined : Number(values.per)
  const top = Number(values.top ?? 30)
  for (const path of positionals) {
    const profile = unbundle(JSON.parse(readFileSync(path, "utf8")) as Profile)
    const window = values.window?.split(",").map((t) => Number(t) - profile.startTime)
    const s = window === undefined
      ? summarise(profile, Number(values.from ?? 0) * 1e6, values.to === undefined ? Infinity : Number(values.to) * 1e6)
      : summarise(profile, window[0], window[1])
    const fmt = (micros: number): string => {
      const pct = `${((micros / s.busy) * 100).toFixed(1).padStart(5)}%`
      const perUnit = per === undefined || per <= 0 ? "" : `  ${(micros / per).toFixed(2).padStart(7)} µs/unit`
      return `${(micros / 1000).toFixed(0).padStart(8)} ms ${pct}${perUnit}`
    }
    const table = (title: string, map: Map<string, number>): void => {
      process.stdout.write(`\n${title}\n`)
      const rows = [...map].filter(([key]) => match === undefined || match.test(key)).sort((a, b) => b[1] - a[1])
      for (const [key, micros] of rows.slice(0, top)) process.stdout.write(`${fmt(micros)}  ${key}\n`)
    }
    process.stdout.write(`${path}\nbusy ${(s.busy / 1000).toFixed(0)} ms, idle ${(s.idle / 1000).toFixed(0)} ms${per === undefined ? "" : `, per unit: ${per} units`}\n`)
    table("self time by area", s.selfArea)
    table("inclusive time by area", s.totalArea)
    table("self time by function", s.selfFn)
    table("inclusive time by function", s.totalFn)
  }
}

if (process.argv[1]?.endsWith("profile-summary.ts") === true) main()
