import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Data, Effect } from "effect"
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

/**
 * `GET /dashboard/chat.js`: the dashboard's chat panel, `src/browser/DashboardChat.ts`
 * on `switchyard/client`, bundled by esbuild for the browser the first time a
 * page asks for it, and kept. The entry is found beside this module's own
 * sources: `.ts` when the service runs from `src/` (tsx, the tests), the `.js`
 * that `npm start` compiled into `dist/` otherwise; esbuild bundles either.
 */

/** The bundle could not be built (a broken checkout): logged, answered `500` without the details. */
export class DashboardScriptError extends Data.TaggedError("DashboardScriptError")<{ readonly cause: unknown }> {}

interface Bundle {
  readonly code: string
  /** the same, gzipped once (~600 KB → ~190 KB): what nearly every browser asks for */
  readonly gzipped: Uint8Array
  readonly etag: string
}

const entry = (): string => {
  const source = fileURLToPath(new URL("../browser/DashboardChat.ts", import.meta.url))
  return existsSync(source) ? source : source.replace(/\.ts$/, ".js")
}

/** How a script for the browser is bundled: one minified file, nothing of Node in it (the browser test bundles the client so too). */
export const browserBundleOptions = {
  bundle: true,
  write: false,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "silent"
} as const

const build = async (): Promise<Bundle> => {
  // loaded only when a dashboard asks: a service nobody watches never starts esbuild
  const esbuild = await import("esbuild")
  try {
    const built = await esbuild.build({ ...browserBundleOptions, entryPoints: [entry()] })
    const code = built.outputFiles[0]!.text
    return {
      code,
      gzipped: gzipSync(code, { level: 9 }),
      etag: `"${createHash("sha256").update(code).digest("base64url").slice(0, 22)}"`
    }
  } finally {
    // esbuild's service is a child process: not needed once the bundle is kept
    await esbuild.stop()
  }
}

// one build per process (the sources do not change under it); a failed one is tried again next time
let building: Promise<Bundle> | undefined

const bundle: Effect.Effect<Bundle, DashboardScriptError> = Effect.tryPromise({
  try: () => {
    building ??= build().catch((cause: unknown) => {
      building = undefined
      throw cause
    })
    return building
  },
  catch: (cause) => new DashboardScriptError({ cause })
})

/** `GET /dashboard/chat.js`: the bundle (gzipped when the browser accepts it), revalidated by its ETag (a `304` when the page's copy is current). */
export const serve = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const { code, etag, gzipped } = yield* bundle
  const gzip = /\bgzip\b/.test(request.headers["accept-encoding"] ?? "")
  // each encoding is its own representation, with its own tag
  const tag = gzip ? `${etag.slice(0, -1)}-gz"` : etag
  const headers = { etag: tag, vary: "accept-encoding", "cache-control": "no-cache", "x-content-type-options": "nosniff" }
  if (request.headers["if-none-match"] === tag) return HttpServerResponse.empty({ status: 304, headers })
  return gzip
    ? HttpServerResponse.uint8Array(gzipped, {
      contentType: "text/javascript; charset=utf-8",
      headers: { ...headers, "content-encoding": "gzip" }
    })
    : HttpServerResponse.text(code, { contentType: "text/javascript; charset=utf-8", headers })
}).pipe(
  Effect.catchTag("DashboardScriptError", (error) =>
    Effect.logError("the dashboard's chat script could not be bundled", error.cause).pipe(
      Effect.as(HttpServerResponse.unsafeJson({ error: "the chat script is unavailable" }, { status: 500 }))
    ))
)
