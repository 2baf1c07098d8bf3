/**
 * Standing in front of an existing backend (PROTOCOL §8): with
 * `LEGACY_BACKEND_URL` set, every type of `LEGACY_TYPES` gets that backend as
 * its legacy side and the handler registered for it (the built-in one, in
 * `npm start`) as its next side, governed by its stage. This is how the
 * service takes a backend's traffic over one message type at a time.
 *
 * @since 0.1.0
 */
import type { AnyHandler } from "../handlers/Handler.js"
import * as HttpLegacy from "./HttpLegacy.js"
import * as Migration from "./Migration.js"
import type { MigrationSettings } from "./MigrationSettings.js"

/**
 * The legacy backend and the types it serves.
 *
 * @since 0.1.0
 */
export interface Options extends HttpLegacy.Options {
  readonly types: ReadonlyArray<string>
}

/**
 * The takeover options of the service's settings; none without `LEGACY_BACKEND_URL`.
 *
 * @since 0.1.0
 */
export const optionsFrom = (settings: MigrationSettings["Type"]): Options | undefined =>
  settings.legacyBackendUrl === undefined ? undefined : {
    url: settings.legacyBackendUrl,
    timeoutMs: settings.legacyTimeoutMs,
    retries: settings.legacyRetries,
    types: settings.legacyTypes
  }

/**
 * Rewrites a handler list for a takeover:
 *
 * - a handler claiming a listed type is split: each listed type it claims
 *   (its own or an alias: `start_agent` and `agent_request` are separate
 *   types) becomes a migration of its own whose next side is that handler,
 *   and its unlisted types stay with the handler as it was;
 * - a listed type no handler claims is served by the backend alone (it has
 *   one implementation, so it is not a migration: nothing to switch to);
 * - handlers that already are migrations are left alone.
 *
 * @since 0.1.0
 */
export const apply = (handlers: ReadonlyArray<AnyHandler>, options: Options): ReadonlyArray<AnyHandler> => {
  const listed = new Set(options.types)
  const claimed = new Set<string>()
  const out: Array<AnyHandler> = []
  for (const handler of handlers) {
    const types = [handler.type, ...handler.aliases]
    for (const type of types) claimed.add(type)
    const taken = types.filter((type) => listed.has(type))
    if (taken.length === 0 || Migration.isMigration(handler)) {
      out.push(handler)
      continue
    }
    const kept = types.filter((type) => !listed.has(type))
    if (kept.length > 0) out.push({ ...handler, type: kept[0]!, aliases: kept.slice(1) })
    for (const type of taken) {
      out.push(Migration.handler({
        type,
        legacy: HttpLegacy.handler(type, options),
        // the same program, claiming just this type
        next: { ...handler, type, aliases: [] }
      }))
    }
  }
  for (const type of listed) {
    if (!claimed.has(type)) out.push(HttpLegacy.handler(type, options))
  }
  return out
}
