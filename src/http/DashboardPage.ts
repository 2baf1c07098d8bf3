import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"

/**
 * The dashboard page (`GET /`): `dashboard.html` beside this module (inline
 * CSS and JS, no CDN), read once when the service starts. Its chat panel is
 * one more script of this origin, `/dashboard/chat.js` (`DashboardScript`).
 */
export const page: string = readFileSync(new URL("./dashboard.html", import.meta.url), "utf8")

const inlineBlocks = (tag: "script" | "style"): Array<string> =>
  Array.from(page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g")), (match) => match[1] ?? "")

const hashes = (blocks: ReadonlyArray<string>): string =>
  blocks.map((block) => `'sha256-${createHash("sha256").update(block, "utf8").digest("base64")}'`).join(" ")

/**
 * The page's Content-Security-Policy: only its own inline script and style
 * (pinned by hash, so an injected one would not run) and scripts of this
 * origin (the chat panel's bundle; every other route answers JSON, text or
 * HTML, which a browser does not run as a script), connections to this
 * origin only (the event stream, the admin API, the chat WebSocket).
 */
export const pageSecurityPolicy: string = [
  "default-src 'none'",
  `script-src ${hashes(inlineBlocks("script"))} 'self'`,
  `style-src ${hashes(inlineBlocks("style"))}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ")
