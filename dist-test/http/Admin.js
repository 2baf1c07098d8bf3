import { HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform";
import { Effect, Either, Option, ParseResult, Schema } from "effect";
import { MigrationControl } from "../migration/MigrationControl.js";
import * as Stage from "../migration/Stage.js";
import { Auth, requireRole } from "./Auth.js";
const MigrationUpdate = Schema.Struct({
  stage: Stage.StageName,
  canary_percent: Schema.optionalWith(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isInteger(n) && n >= 0 && n <= 100, {
        message: () => "canary_percent must be an integer from 0 to 100"
      })
    ),
    { exact: true }
  )
});
const decodeUpdate = Schema.decodeUnknownEither(MigrationUpdate);
const problem = (status, error) => HttpServerResponse.unsafeJson({ error }, { status });
const adminOnly = (route) => Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest;
  const auth = yield* Auth;
  const principal = auth.authenticate(request.headers, request.url);
  if (Either.isLeft(principal)) {
    return problem(401, principal.left.message).pipe(HttpServerResponse.setHeader("www-authenticate", "Bearer"));
  }
  const admin = requireRole(principal.right, "admin");
  if (Either.isLeft(admin)) return problem(403, admin.left.message);
  return yield* route;
});
const typeParam = Effect.map(HttpRouter.params, (params) => params["type"] ?? "");
const notMigrating = (type) => problem(404, `"${type}" is not a migrating type (it has no two implementations)`);
const list = adminOnly(Effect.gen(function* () {
  const control = yield* MigrationControl;
  return HttpServerResponse.unsafeJson({ types: yield* control.entries });
}));
const show = adminOnly(Effect.gen(function* () {
  const control = yield* MigrationControl;
  const type = yield* typeParam;
  return Option.match(yield* control.details(type), {
    onNone: () => notMigrating(type),
    onSome: (details) => HttpServerResponse.unsafeJson(details)
  });
}));
const update = adminOnly(Effect.gen(function* () {
  const control = yield* MigrationControl;
  const request = yield* HttpServerRequest.HttpServerRequest;
  const type = yield* typeParam;
  if (!control.has(type)) return notMigrating(type);
  const body = yield* Effect.either(request.json);
  if (Either.isLeft(body) || typeof body.right !== "object" || body.right === null || Array.isArray(body.right)) {
    return problem(400, 'the body must be a JSON object: {"stage": "<stage>", "canary_percent"?: 0-100}');
  }
  const decoded = decodeUpdate(body.right);
  if (Either.isLeft(decoded)) {
    const issues = ParseResult.ArrayFormatter.formatErrorSync(decoded.left).map((issue) => issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`);
    return problem(400, `invalid body: ${issues.join("; ")}`);
  }
  const { canary_percent, stage } = decoded.right;
  const entry = yield* control.setStage(type, stage, canary_percent);
  return Option.match(entry, {
    onNone: () => notMigrating(type),
    onSome: (value) => HttpServerResponse.unsafeJson(value)
  });
}));
const routes = HttpRouter.empty.pipe(
  HttpRouter.get("/admin/migrations", list),
  HttpRouter.get("/admin/migrations/:type", show),
  HttpRouter.put("/admin/migrations/:type", update)
);
export {
  MigrationUpdate,
  routes
};
//# sourceMappingURL=Admin.js.map
