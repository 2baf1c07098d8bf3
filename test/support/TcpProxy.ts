import { createConnection, createServer, type Socket } from "node:net"

/**
 * A TCP proxy between a client and the server, which a test can cut: the
 * network as a client meets it. `sever` drops every connection through it
 * at once (both sides see their socket die, as when a phone changes cell);
 * `block` also refuses new ones until `unblock`; `mute` silently drops what
 * the server sends on the connections open now (a half-dead link: only a
 * heartbeat notices); `stall` holds back what the server sends (a slow
 * server: the connections stay up) until `flow` lets it through, in order;
 * `retarget` sends new connections to another port (a restarted server).
 */
export interface TcpProxy {
  readonly port: number
  /** connections through the proxy so far */
  readonly accepted: () => number
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
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  readonly server: Socket
  muted: boolean
  /** what the server sent while stalled, in order */
  held: Array<Buffer>
}

/** A proxy to `targetPort` on `targetHost` (loopback by default), on a free loopback port. */
export const startProxy = async (targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> => {
  let target = targetPort
  let blocked = false
  let stalled = false
  let accepted = 0
  const pairs = new Set<Pair>()
  const server = createServer((client) => {
    // a cut is the point: its errors are expected
    client.on("error", () => undefined)
    if (blocked) return void client.destroy()
    accepted++
    const upstream = createConnection({ host: targetHost, port: target })
    upstream.on("error", () => undefined)
    const pair: Pair = { client, server: upstream, muted: false, held: [] }
    pairs.add(pair)
    client.on("data", (chunk) => upstream.write(chunk))
    upstream.on("data", (chunk) => {
      if (pair.muted) return
      if (stalled) pair.held.push(chunk)
      else client.write(chunk)
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
    close: () => {
      sever()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}
