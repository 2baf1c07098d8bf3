import { createConnection, createServer, type Socket } from "node:net"

/**
 * A TCP proxy between a client and the server, which a test can cut: the
 * network as a client meets it. `sever` drops every connection through it
 * at once (both sides see their socket die, as when a phone changes cell);
 * `block` also refuses new ones until `unblock`; `mute` silently drops what
 * the server sends on the connections open now (a half-dead link: only a
 * heartbeat notices); `stall` holds back what the server sends (a slow
 * server: the connections stay up) until `flow` lets it through, in order;
 * `retarget` sends new connections to another port (a restarted server);
 * `delay` holds each reply of the server back for a while (a slow link: a
 * request reaches the server at once, its answer comes late).
 */
export interface TcpProxy {
  readonly port: number
  /** connections through the proxy so far */
  readonly accepted: () => number
  /** bytes the clients sent through the proxy so far (what a node asked of Redis) */
  readonly sent: () => number
  /** destroys every open connection */
  readonly sever: () => void
  /** severs, and drops every new connection until `unblock` */
  readonly block: () => void
  readonly unblock: () => void
  /** from now on, drops what the server sends on every connection open now */
  readonly mute: () => void
  /** from now on, holds back what the server sends on every connection, until `flow` */
  readonly stall: () => void
  /** sends what `stall` held back, and lets the server's data through again */
  readonly flow: () => void
  readonly retarget: (port: number) => void
  /** from now on, delivers what the server sends `ms` after it came, in order (0: at once) */
  readonly delay: (ms: number) => void
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  readonly server: Socket
  muted: boolean
  /** what the server sent while stalled, in order */
  held: Array<Buffer>
  /** the last delayed delivery: the next one follows it */
  delayed: Promise<void>
  /** deliveries waiting in `delayed` */
  pending: number
}

/** A proxy to `targetPort` on `targetHost` (loopback by default), on a free loopback port. */
export const startProxy = async (targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> => {
  let target = targetPort
  let blocked = false
  let stalled = false
  let delayMs = 0
  let accepted = 0
  let sent = 0
  const pairs = new Set<Pair>()
  const server = createServer((client) => {
    // a cut is the point: its errors are expected
    client.on("error", () => undefined)
    if (blocked) return void client.destroy()
    accepted++
    const upstream = createConnection({ host: targetHost, port: target })
    upstream.on("error", () => undefined)
    const pair: Pair = { client, server: upstream, muted: false, held: [], delayed: Promise.resolve(), pending: 0 }
    pairs.add(pair)
    client.on("data", (chunk: Buffer) => {
      sent += chunk.length
      upstream.write(chunk)
    })
    const deliver = (chunk: Buffer) => {
      if (pair.muted) return
      if (stalled) pair.held.push(chunk)
      else client.write(chunk)
    }
    upstream.on("data", (chunk: Buffer) => {
      // (after a delay is lifted, what it still holds goes first)
      if (delayMs === 0 && pair.pending === 0) return deliver(chunk)
      const due = Date.now() + delayMs
      pair.pending++
      pair.delayed = pair.delayed
        .then(() => new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now()))))
        .then(() => {
          pair.pending--
          deliver(chunk)
        })
    })
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.once("close", end)
    upstream.once("close", end)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("expected a TCP address")
  const sever = () => {
    for (const pair of Array.from(pairs)) {
      pair.client.destroy()
      pair.server.destroy()
    }
  }
  return {
    port: address.port,
    accepted: () => accepted,
    sent: () => sent,
    sever,
    block: () => {
      blocked = true
      sever()
    },
    unblock: () => {
      blocked = false
    },
    mute: () => {
      for (const pair of pairs) pair.muted = true
    },
    stall: () => {
      stalled = true
    },
    flow: () => {
      stalled = false
      for (const pair of pairs) {
        for (const chunk of pair.held) pair.client.write(chunk)
        pair.held = []
      }
    },
    retarget: (port) => {
      target = port
    },
    delay: (ms) => {
      delayMs = ms
    },
    close: () => {
      sever()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}
