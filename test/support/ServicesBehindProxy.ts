import { hostPort, openRedisProxy, type RedisProxy } from "./RedisProxy.js"
import { deletePrefix, redisUrl, uniquePrefix } from "./RedisServer.js"
import type { ServiceProcess } from "./ServiceProcess.js"

/** What each service is started with: a fresh `REDIS_PREFIX` and a proxy to the shared Redis (`proxy.url`). */
export interface ProxiedRedis {
  readonly prefix: string
  readonly proxy: RedisProxy
}

/** Services under one fresh prefix, some or all reaching Redis through `proxy`; `stop` when done. */
export interface ServicesBehindProxy<S extends ReadonlyArray<unknown>> {
  readonly services: { readonly [K in keyof S]: ServiceProcess }
  readonly proxy: RedisProxy
  readonly prefix: string
  /** kills the services (SIGKILL), closes the proxy, then deletes the prefix's keys */
  readonly stop: () => Promise<void>
}

/**
 * Opens a proxy to the shared Redis and starts the services at once, each by
 * its starter (which decides whether it goes through the proxy): for fault
 * tests that cut or slow one node's Redis. If one fails to start, what did
 * start is stopped before its error is thrown.
 */
export const servicesBehindProxy = async <const S extends ReadonlyArray<(redis: ProxiedRedis) => Promise<ServiceProcess>>>(
  starters: S
): Promise<ServicesBehindProxy<S>> => {
  const prefix = uniquePrefix()
  const proxy = await openRedisProxy(hostPort(redisUrl()))
  const started = await Promise.allSettled(starters.map((start) => start({ prefix, proxy })))
  const services = started.flatMap((result) => result.status === "fulfilled" ? [result.value] : [])
  const stop = () =>
    stopAll([
      async () => {
        for (const service of services) service.child.kill("SIGKILL")
      },
      () => proxy.close(),
      () => deletePrefix(redisUrl(), prefix)
    ])
  const failed = started.find((result) => result.status === "rejected")
  if (failed !== undefined) {
    // the start's error is the one to see: a clean-up failing after it must not replace it
    await stop().catch(() => undefined)
    throw failed.reason
  }
  // every start succeeded: one service a starter, in order (`map` loses the tuple's type)
  return { services: services as unknown as ServicesBehindProxy<S>["services"], proxy, prefix, stop }
}

/** Runs every step in order, even after one fails; then throws the first failure. */
const stopAll = async (steps: ReadonlyArray<() => Promise<void>>): Promise<void> => {
  const failures: Array<unknown> = []
  for (const step of steps) await step().catch((error: unknown) => failures.push(error))
  if (failures.length > 0) throw failures[0]
}
