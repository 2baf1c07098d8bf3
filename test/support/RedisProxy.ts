import { Effect, type Scope } from "effect"
import { startProxy, type TcpProxy } from "./TcpProxy.js"

/**
 * A TCP proxy (`TcpProxy`) in front of a Redis, for fault tests that cut ONE
 * node off (the others keep their Redis: `block` / `unblock`) or make its
 * Redis slow (`stall` / `flow`, or every reply late: `delay`): `url` is what
 * that node is given as its Redis.
 */
export interface RedisProxy extends TcpProxy {
  readonly url: string
}

/** host and port of a `redis://host:port` URL. */
export const hostPort = (url: string): { readonly host: string; readonly port: number } => {
  const parsed = new URL(url)
  return { host: parsed.hostname, port: Number(parsed.port || "6379") }
}

/** A proxy to the Redis at `target` (outside an Effect test); `close` it when done. */
export const openRedisProxy = async (target: { readonly host: string; readonly port: number }): Promise<RedisProxy> => {
  const proxy = await startProxy(target.port, target.host)
  return { ...proxy, url: `redis://127.0.0.1:${proxy.port}` }
}

/** A proxy to the Redis at `target` for the scope's life. */
export const startRedisProxy = (target: { readonly host: string; readonly port: number }): Effect.Effect<
  RedisProxy,
  never,
  Scope.Scope
> => Effect.acquireRelease(Effect.promise(() => openRedisProxy(target)), (proxy) => Effect.promise(proxy.close))
