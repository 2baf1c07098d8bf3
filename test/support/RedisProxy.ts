import { createServer, type Server, type Socket, connect } from "node:net"
import { Effect, Exit, Scope } from "effect"

/**
 * A TCP proxy in front of a Redis, for fault tests that cut ONE node off
 * (the others keep their Redis): `cut` drops every connection through it and
 * refuses new ones until `restore`; `stall` keeps the connections but holds
 * back what Redis answers (a slow Redis, the connection up) until `flow`.
 */
export interface RedisProxy {
  readonly url: string
  readonly cut: () => void
  readonly restore: () => void
  readonly stall: () => void
  readonly flow: () => void
}

/** A proxy to `target` (host:port) on a free port, for the scope's life. */
export const startRedisProxy = (target: { readonly host: string; readonly port: number }): Effect.Effect<
  RedisProxy,
  never,
  Scope.Scope
> =>
  Effect.acquireRelease(
    Effect.async<{ readonly proxy: RedisProxy; readonly server: Server; readonly sockets: Set<Socket> }>((resume) => {
      let open = true
      let stalled = false
      const sockets = new Set<Socket>()
      // the answers held back while stalled, per client socket, in order
      const heldBack = new Map<Socket, Array<Buffer>>()
      const server = createServer((client) => {
        if (!open) return client.destroy()
        const upstream = connect(target.port, target.host)
        sockets.add(client)
        sockets.add(upstream)
        client.on("data", (chunk) => upstream.write(chunk))
        upstream.on("data", (chunk) => {
          if (!stalled) return void client.write(chunk)
          const held = heldBack.get(client) ?? []
          held.push(chunk)
          heldBack.set(client, held)
        })
        const close = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
          heldBack.delete(client)
        }
        client.on("close", close)
        upstream.on("close", close)
        client.on("error", close)
        upstream.on("error", close)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        const proxy: RedisProxy = {
          url: `redis://127.0.0.1:${port}`,
          cut: () => {
            open = false
            for (const socket of sockets) socket.destroy()
          },
          restore: () => {
            open = true
          },
          stall: () => {
            stalled = true
          },
          flow: () => {
            stalled = false
            for (const [client, held] of heldBack) for (const chunk of held) client.write(chunk)
            heldBack.clear()
          }
        }
        resume(Effect.succeed({ proxy, server, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.sync(() => {
        for (const socket of sockets) socket.destroy()
        server.close()
      })
  ).pipe(Effect.map(({ proxy }) => proxy))

/** host and port of a `redis://host:port` URL. */
export const hostPort = (url: string): { readonly host: string; readonly port: number } => {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port || "6379") }
}

/** `startRedisProxy` outside an Effect test: the proxy, and how to close it. */
export const openRedisProxy = async (
  target: { readonly host: string; readonly port: number }
): Promise<RedisProxy & { readonly close: () => Promise<void> }> => {
  const scope = Effect.runSync(Scope.make())
  const proxy = await Effect.runPromise(Scope.extend(startRedisProxy(target), scope))
  return { ...proxy, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}
