import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { RunErrorCode } from "../../src/agent/RunErrorCode.js"
import { BuiltinHandlers } from "../../src/handlers/index.js"
import * as Router from "../../src/pipeline/Router.js"
import { CloseCode, ErrorCode } from "../../src/protocol/ErrorCode.js"
import { FrameError } from "../../src/protocol/FrameError.js"
import * as ServerFrame from "../../src/protocol/ServerFrame.js"
import { settingsVariables } from "../support/SettingsVariables.js"

/**
 * docs/protocol.md is the contract a client author writes against, so it
 * must name everything a client can meet. The names are asked of the code —
 * the router, the protocol's error and close codes, the frames the service
 * writes, the settings modules — so that adding one to the code without
 * documenting it fails here.
 */

const root = path.resolve(__dirname, "../..")
const read = (file: string): string => fs.readFileSync(path.join(root, file), "utf8")
const doc = read("docs/protocol.md")

/** Does the doc name `name` as code (in backticks)? */
const documented = (name: string): boolean => doc.includes(`\`${name}\``)

/** The names of `names` the doc does not mention. */
const missing = (names: Iterable<string | number>): Array<string> =>
  Array.from(names, String).filter((name) => !documented(name))

/** Every message type the built-in router claims, aliases included, as the Router registers them. */
const clientTypes = (): ReadonlyArray<string> => {
  // the layer only captures its requirements' context, it reads none of them: an empty one does
  const layer = Router.layer(BuiltinHandlers) as unknown as Layer.Layer<Router.Router, Router.DuplicateHandlerError>
  return Effect.runSync(Effect.map(Effect.provide(Router.Router, layer), (router) => router.types))
}

/** Every `.ts` file under `src/`. */
const sources = (dir = path.join(root, "src")): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sources(full)
    return entry.name.endsWith(".ts") ? [full] : []
  })

/**
 * The frame types the service writes outside the encoders of replies: stream
 * events handed to an emitter or a backplane (`emit({ type: "…"`, a
 * `StreamEvent = { type: "…"`) and notices (`notice("…"`, `.signal(…, "…"`).
 */
const WRITTEN = [
  /emit\(\{\s*type:\s*"([a-z_]+)"/g,
  /StreamEvent\s*=\s*\{\s*type:\s*"([a-z_]+)"/g,
  /notice\(\s*"([a-z_]+)"/g,
  /\.signal\([^,()]+,\s*"([a-z_]+)"/g
]

const writtenTypes = (): ReadonlySet<string> => {
  const types = new Set<string>()
  for (const file of sources()) {
    const text = fs.readFileSync(file, "utf8")
    for (const pattern of WRITTEN) for (const match of text.matchAll(pattern)) types.add(match[1]!)
  }
  return types
}

/** The types of the replies the encoders write (`ack`, `error`, `pong`), read off their output. */
const replyTypes = (): ReadonlyArray<string> =>
  [
    ServerFrame.ack("1", "ok", {}),
    ServerFrame.error("1", new FrameError({ code: "INTERNAL", message: "x" })),
    ServerFrame.pong("1")
  ].map((frame) => (JSON.parse(frame) as { readonly type: string }).type)

/** Anchors of GitHub's headings: lower case, punctuation but `-` dropped, spaces to `-`. */
const anchors = (markdown: string): ReadonlySet<string> =>
  new Set(
    Array.from(markdown.matchAll(/^#{1,6} (.+)$/gm), (match) =>
      match[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-"))
  )

describe("docs/protocol.md", () => {
  it("names every client message type the router registers", () => {
    const types = clientTypes()
    expect(types).toContain("user_message")
    expect(missing(types)).toEqual([])
  })

  it("names every server frame type the service writes", () => {
    const written = writtenTypes()
    // the scan still finds what it was written for (a refactor that hides them must update it)
    for (const known of ["connection_established", "typing", "agent_started", "agent_completed", "quality_alert"]) {
      expect(written).toContain(known)
    }
    expect(missing([...replyTypes(), ...written])).toEqual([])
  })

  it("names every error code, and every close code the service uses", () => {
    expect(missing(ErrorCode.literals)).toEqual([])
    expect(missing(Object.values(CloseCode))).toEqual([])
  })

  it("names every code a run of the service fails with, in its run failures, not as an error frame's", () => {
    const runFailures = doc.slice(doc.indexOf("### Run failures"), doc.indexOf("### Close codes"))
    expect(runFailures.length).toBeGreaterThan(0)
    expect(RunErrorCode.literals.filter((code) => !runFailures.includes(`\`${code}\``))).toEqual([])
    expect(ErrorCode.literals).not.toContain("NODE_LOST")
  })

  it("names every environment variable the service reads", () => {
    const variables = settingsVariables()
    expect(variables).toContain("MAX_MESSAGE_BYTES")
    expect(missing(variables)).toEqual([])
  })

  it("is what README links to, not a document outside the repository", () => {
    const readme = read("README.md")
    expect(readme).not.toMatch(/\.\.\/shared\/|PROTOCOL\.md/)
    expect(readme).toContain("](docs/protocol.md)")
    expect(readme).toContain("](docs/asyncapi.json)")
  })

  it("has a heading for every link into it, from its contents and from README", () => {
    const headings = anchors(doc)
    const own = Array.from(doc.matchAll(/\]\(#([^)]+)\)/g), (match) => match[1]!)
    const fromReadme = Array.from(read("README.md").matchAll(/\]\(docs\/protocol\.md#([^)]+)\)/g), (match) => match[1]!)
    expect(own.length).toBeGreaterThan(10)
    expect([...own, ...fromReadme].filter((anchor) => !headings.has(anchor))).toEqual([])
  })

  it("would notice a name it lacks", () => {
    expect(missing(["NOT_A_DOCUMENTED_NAME", "user_message"])).toEqual(["NOT_A_DOCUMENTED_NAME"])
  })
})
