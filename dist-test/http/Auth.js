import { Context, Data, Effect, Either, Layer, Redacted } from "effect";
import { SwitchyardConfig } from "../Config.js";
import * as Jwt from "./Jwt.js";
class Unauthenticated extends Data.TaggedError("Unauthenticated") {
  get message() {
    return this.reason === "MissingToken" ? "missing bearer token" : `invalid token: ${this.reason}`;
  }
}
class Forbidden extends Data.TaggedError("Forbidden") {
  get message() {
    return `the token lacks the "${this.role}" role`;
  }
}
const requireRole = (principal, role) => principal.roles.includes(role) ? Either.right(principal) : Either.left(new Forbidden({ role }));
class MissingSecretError extends Data.TaggedError("MissingSecretError") {
  get message() {
    return "JWT_SECRET must be set when NODE_ENV=production (refusing to start with the development secret)";
  }
}
class Auth extends Context.Tag("switchyard/Auth")() {
  /** Auth with `JWT_SECRET`, or the development secret and a loud warning. */
  static layer = Layer.effect(
    Auth,
    Effect.gen(function* () {
      const config = yield* SwitchyardConfig;
      if (config.jwtSecret === void 0 && config.production) return yield* new MissingSecretError();
      if (config.jwtSecret === void 0) {
        yield* Effect.logWarning(
          "!!! JWT_SECRET is not set: DEVELOPMENT MODE, tokens are signed with the public development secret. Never run like this in production (set JWT_SECRET). Mint a token: npm run token -- <user>"
        );
      }
      const secret = config.jwtSecret === void 0 ? Jwt.DEVELOPMENT_SECRET : Redacted.value(config.jwtSecret);
      return {
        authenticate: (headers, url) => {
          const token = bearerToken(headers["authorization"]) ?? queryToken(url);
          if (token === void 0) return Either.left(new Unauthenticated({ reason: "MissingToken" }));
          return Either.match(Jwt.verify(token, secret, Math.floor(Date.now() / 1e3)), {
            onLeft: (error) => Either.left(new Unauthenticated({ reason: error.reason })),
            onRight: (claims) => Either.right({ userId: claims.sub, roles: claims.roles })
          });
        }
      };
    })
  );
}
const bearerToken = (header) => {
  if (header === void 0) return void 0;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
};
const queryToken = (url) => {
  const query = url.indexOf("?");
  if (query < 0) return void 0;
  const token = new URLSearchParams(url.slice(query + 1)).get("access_token");
  return token === null || token === "" ? void 0 : token;
};
export {
  Auth,
  Forbidden,
  MissingSecretError,
  Unauthenticated,
  requireRole
};
//# sourceMappingURL=Auth.js.map
