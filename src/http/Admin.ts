/**
 * The migration admin API (PROTOCOL §8): read every migrating type's stage,
 * breaker and statistics, and move a type to another stage at run time.
 *
 * - `GET /admin/migrations` → `{types: {<type>: entry}}`
 * - `GET /admin/migrations/:type` → the entry plus both breakers and the
 *   latest shadow mismatches (`404` for a type that does not migrate)
 * - `PUT /admin/migrations/:type` with `{stage, canary_percent?}` → `200` with
 *   the new entry; `400` bad body; `404` a type without two implementations
 *
 * Every route needs a token with the `admin` role: none or an invalid one is
 * `401`, one without the role `403`.
 */
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { MigrationControl } from "../migration/MigrationControl.js"
import * as Stage from "../migration/Stage.js"
import { ClusterView } from "../store/ClusterView.js"
import { Auth, requireRole } from "../transport/Auth.js"
import { ServerSettings } from "../transport/ServerSettings.js"
import * as MergedStats from "./MergedStats.js"

/** The body of `PUT /admin/migrations/:type`. */
export const MigrationUpdate = Schema.Struct({
  stage: Stage.StageName,
  canary_percent: Schema.optionalWith(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isInteger(n) && n >= 0 && n <= 100, {
        message: () => "canary_percent must be an integer from 0 to 100"
      })
    ),
    { exact: true }
  )
})

const decodeUpdate = Schema.decodeUnknownEither(MigrationUpdate)

const problem = (status: number, error: string) => HttpServerResponse.unsafeJson({ error }, { status })

/** Runs `route` for an admin, answering 401/403 otherwise. */
const adminOnly = <E, R>(
  route: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | Auth | HttpServerRequest.HttpServerRequest> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const auth = yield* Auth
    const principal = auth.authenticate(request.headers, request.url)
    if (Either.isLeft(principal)) {
      return problem(401, principal.left.message).pipe(HttpServerResponse.setHeader("www-authenticate", "Bearer"))
    }
    const admin = requireRole(principal.right, "admin")
    if (Either.isLeft(admin)) return problem(403, admin.left.message)
    return yield* route
  })

const typeParam = Effect.map(HttpRouter.params, (params) => params["type"] ?? "")

const notMigrating = (type: string) => problem(404, `"${type}" is not a migrating type (it has no two implementations)`)

/** `GET /admin/migrations` */
const list = adminOnly(Effect.gen(function*() {
  const control = yield* MigrationControl
  const local = yield* control.entries
  // cluster mode: every live node's statistics summed (MergedStats)
  const view = yield* Effect.serviceOption(ClusterView)
  const settings = yield* Effect.serviceOption(ServerSettings)
  if (Option.isNone(view) || Option.isNone(settings)) return HttpServerResponse.unsafeJson({ types: local })
  return HttpServerResponse.unsafeJson({ types: MergedStats.merge(local, settings.value.nodeId, yield* view.value.nodes) })
}))

/** `GET /admin/migrations/:type` */
const show = adminOnly(Effect.gen(function*() {
  const control = yield* MigrationControl
  const type = yield* typeParam
  return Option.match(yield* control.details(type), {
    onNone: () => notMigrating(type),
    onSome: (details) => HttpServerResponse.unsafeJson(details)
  })
}))

/** `PUT /admin/migrations/:type` */
const update = adminOnly(Effect.gen(function*() {
  const control = yield* MigrationControl
  const request = yield* HttpServerRequest.HttpServerRequest
  const type = yield* typeParam
  if (!control.has(type)) return notMigrating(type)
  const body = yield* Effect.either(request.json)
  if (Either.isLeft(body) || typeof body.right !== "object" || body.right === null || Array.isArray(body.right)) {
    return problem(400, "the body must be a JSON object: {\"stage\": \"<stage>\", \"canary_percent\"?: 0-100}")
  }
  const decoded = decodeUpdate(body.right)
  if (Either.isLeft(decoded)) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
      .map((issue) => issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`)
    return problem(400, `invalid body: ${issues.join("; ")}`)
  }
  const { canary_percent, stage } = decoded.right
  const entry = yield* control.setStage(type, stage, canary_percent)
  return Option.match(entry, {
    onNone: () => notMigrating(type),
    onSome: (value) => HttpServerResponse.unsafeJson(value)
  })
}))

/** The admin routes, mounted by `Server.ts`. */
export const routes = HttpRouter.empty.pipe(
  HttpRouter.get("/admin/migrations", list),
  HttpRouter.get("/admin/migrations/:type", show),
  HttpRouter.put("/admin/migrations/:type", update)
)
