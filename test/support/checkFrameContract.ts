import { afterEach, beforeAll } from "vitest"
import WebSocket from "ws"
import { received } from "./FrameContract.js"

/**
 * vitest setup file: every text frame a `ws` client of a test receives (the
 * `TestClient` helper's, and the raw sockets some tests open) is decoded
 * with the published `ServerEvent` schema; a test that received an
 * off-contract frame fails after it ran.
 *
 * `ws` is patched once per process (its prototype outlives a test file's
 * modules), and calls the hook of the test file being run.
 */
const HOOK = Symbol.for("switchyard/test/frameContract")
type Hooked = { [HOOK]?: (text: string) => void }

const textOf = (data: WebSocket.RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString("utf8")
    : Buffer.isBuffer(data)
    ? data.toString("utf8")
    : Buffer.from(data).toString("utf8")

const holder = globalThis as Hooked
holder[HOOK] = (text) => received.check(text)

if (!Object.prototype.hasOwnProperty.call(WebSocket.prototype, HOOK)) {
  const emit = WebSocket.prototype.emit
  Object.defineProperty(WebSocket.prototype, HOOK, { value: true })
  WebSocket.prototype.emit = function(this: WebSocket & { readonly _isServer?: boolean }, event: string | symbol, ...args: Array<any>) {
    // a client socket's text frame (a server-side socket of an in-process server receives client frames)
    if (event === "message" && this._isServer === false && args[1] === false) {
      holder[HOOK]?.(textOf(args[0] as WebSocket.RawData))
    }
    return emit.call(this, event, ...args)
  }
}


// test files share a worker (vitest.config.ts): a frame that came after the previous file's last check
// (on a socket it left open) is not this file's
beforeAll(() => {
  received.take()
})

afterEach(() => {
  const violations = received.take()
  if (violations.length > 0) {
    throw new Error(`${violations.length} frame(s) received off the published contract (ServerEvent):\n\n${violations.join("\n\n")}`)
  }
})
