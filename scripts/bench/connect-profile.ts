/**
 * Profiles the connect path alone: starts one server (`--entry`, default the
 * service) under `node --cpu-prof`, connects `--conns` idle users `--batch`
 * at a time (as the `idle` scenario does) and stops it; prints the server's
 * CPU per connect (from /proc) and the profile's window of the connects, for
 * `profile-summary.ts --from S --to S`.
 *
 *   npx tsx scripts/bench/connect-profile.ts --conns 10000 [--entry scripts/start.mjs] [--no-prof]
 */
import { randomBytes } from "node:crypto"
import { mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { parseArgs } from "node:util"
import { connectMany } from "./client.js"
import { compileEntry } from "./compile.js"
import { totalTicks } from "./proc-parse.js"
import { clockTicksPerSecond, readCpuTicks } from "./proc-read.js"
import { userIds } from "./scenarios/group.js"
import { startServer } from "./server-process.js"
import { BASELINE_ENTRY, chooseTargets } from "./targets.js"
import { parseOptions } from "./options.js"

const { values } = parseArgs({
  options: {
    entry: { type: "string" },
    baseline: { type: "boolean", default: false },
    conns: { type: "string", default: "10000" },
    batch: { type: "string", default: "500" },
    out: { type: "string", default: "bench-results/profiles/connect" },
    "no-prof": { type: "boolean", default: false }
  }
})
const options = parseOptions(values.entry === undefined ? [] : ["--service-entry", values.entry])!
const [baseline, service] = chooseTargets(options)
const target = values.baseline === true ? { ...baseline, entry: await compileEntry(BASELINE_ENTRY, "bench-results/build") } : service
const dir = join(values.out!, `${target.key}-${Date.now()}`)
mkdirSync(dir, { recursive: true })
const secret = randomBytes(32).toString("hex")
const server = await startServer(
  values["no-prof"] === true ? target : { ...target, nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`] },
  secret,
  0,
  join(dir, "server.log")
)
await sleep(2000)
const ids = userIds(`prof-${Date.now()}`, Number(values.conns), 1)
const before = totalTicks(readCpuTicks(server.pid))
const t0 = process.hrtime.bigint()
const connected = await connectMany(server.wsUrl, ids, secret, Number(values.batch))
const t1 = process.hrtime.bigint()
const ticks = totalTicks(readCpuTicks(server.pid)) - before
await sleep(1000)
const perConn = (ticks / clockTicksPerSecond()) * 1e6 / connected.clients.length
process.stdout.write(
  `${target.label}: ${connected.clients.length} connected (${connected.failures} failed), ${perConn.toFixed(0)} µs CPU per connect, ` +
    `${(Number(t1 - t0) / 1e6).toFixed(0)} ms\nwindow_us ${t0 / 1000n} ${t1 / 1000n}\n`
)
connected.clients.forEach((c) => c.close())
await sleep(1000)
await server.stop()
const files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))
if (files.length > 0) process.stdout.write(`profile ${join(dir, files[0]!)}\n`)
