import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"

/**
 * The dashboard page (`GET /`): `dashboard.html` beside this module, one
 * self-contained document (inline CSS and JS, no CDN, no build step), read
 * once when the service starts.
 */
export const page: string = readFileSync(new URL("./dashboard.html", import.meta.url), "utf8")

const inlineBlocks = (tag: "script" | "style"): Array<string> =>
  Array.from(page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g")), (match) => match[1] ?? "")

const hashes = (blocks: ReadonlyArray<string>): string =>
  blocks.map((block) => `'sha256-${createHash("sha256").update(block, "utf8").digest("base64")}'`).join(" ")

/**
 * The page's Content-Security-Policy: only its own inline script and style
 * (pinned by hash, so an injected one would not run), connections to this
 * origin only (the event stream, the admin API, the chat WebSocket).
 */
export const pageSecurityPolicy: string = [
  "default-src 'none'",
  `script-src ${hashes(inlineBlocks("script"))}`,
  `style-src ${hashes(inlineBlocks("style"))}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")
