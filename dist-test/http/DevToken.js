import { HttpServerRequest, HttpServerResponse } from "@effect/platform";
import { Clock, Effect } from "effect";
import { randomBytes } from "node:crypto";
import { SwitchyardConfig } from "../Config.js";
import * as Jwt from "./Jwt.js";
const DEV_TOKEN_TTL_S = 60 * 60;
const isDevelopment = (config) => config.jwtSecret === void 0 && !config.production;
const USER = /^[A-Za-z0-9._@-]{1,64}$/;
const mint = Effect.gen(function* () {
  const config = yield* SwitchyardConfig;
  if (!isDevelopment(config)) {
    return HttpServerResponse.unsafeJson(
      { error: "development tokens exist only in development mode (JWT_SECRET unset, NODE_ENV not production)" },
      { status: 404 }
    );
  }
  const request = yield* HttpServerRequest.HttpServerRequest;
  const query = new URLSearchParams(request.url.includes("?") ? request.url.slice(request.url.indexOf("?") + 1) : "");
  const user = query.get("user") ?? `dashboard-${randomBytes(4).toString("hex")}`;
  if (!USER.test(user)) {
    return HttpServerResponse.unsafeJson({ error: "user: 1-64 characters of A-Z a-z 0-9 . _ @ -" }, { status: 400 });
  }
  const roles = query.get("admin") === "1" ? ["admin"] : [];
  const now = Math.floor((yield* Clock.currentTimeMillis) / 1e3);
  const token = Jwt.sign({ sub: user, roles, iat: now, exp: now + DEV_TOKEN_TTL_S }, Jwt.DEVELOPMENT_SECRET);
  return HttpServerResponse.unsafeJson(
    { token, user_id: user, roles, expires_at: new Date((now + DEV_TOKEN_TTL_S) * 1e3).toISOString() },
    { headers: { "cache-control": "no-store" } }
  );
});
export {
  DEV_TOKEN_TTL_S,
  isDevelopment,
  mint
};
//# sourceMappingURL=DevToken.js.map
