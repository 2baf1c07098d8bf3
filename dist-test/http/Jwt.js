import { Clock, Data, Effect, Either } from "effect";
import { createHmac, timingSafeEqual } from "node:crypto";
const DEVELOPMENT_SECRET = "switchyard-development-secret-do-not-use-in-production";
class JwtError extends Data.TaggedError("JwtError") {
  get message() {
    switch (this.reason) {
      case "Malformed":
        return "JWT rejected: malformed token";
      case "BadSignature":
        return "JWT rejected: bad signature";
      case "Expired":
        return "JWT rejected: expired";
      case "NotYetValid":
        return "JWT rejected: not valid yet (nbf)";
      case "MissingSubject":
        return "JWT rejected: missing subject (sub)";
      case "UnsupportedAlgorithm":
        return "JWT rejected: unsupported algorithm (only HS256)";
    }
  }
}
const base64url = (input) => Buffer.from(input, "utf8").toString("base64url");
const hmac = (signingInput, secret) => createHmac("sha256", secret).update(signingInput).digest();
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const decodeJson = (segment) => {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return void 0;
  }
};
const isObject = (u) => typeof u === "object" && u !== null && !Array.isArray(u);
const isNumericDate = (u) => typeof u === "number" && Number.isFinite(u);
const reject = (reason) => Either.left(new JwtError({ reason }));
const sign = (claims, secret) => {
  const signingInput = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(claims))}`;
  return `${signingInput}.${hmac(signingInput, secret).toString("base64url")}`;
};
const verify = (token, secret, nowSeconds) => {
  const parts = token.split(".");
  if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return reject("Malformed");
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = decodeJson(headerPart);
  if (!isObject(header)) return reject("Malformed");
  if (header["alg"] !== "HS256") return reject("UnsupportedAlgorithm");
  const expected = hmac(`${headerPart}.${payloadPart}`, secret);
  const given = Buffer.from(signaturePart, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reject("BadSignature");
  const payload = decodeJson(payloadPart);
  if (!isObject(payload)) return reject("Malformed");
  const exp = payload["exp"];
  if (exp !== void 0 && !isNumericDate(exp)) return reject("Malformed");
  if (exp !== void 0 && exp <= nowSeconds) return reject("Expired");
  const nbf = payload["nbf"];
  if (nbf !== void 0 && !isNumericDate(nbf)) return reject("Malformed");
  if (nbf !== void 0 && nbf > nowSeconds) return reject("NotYetValid");
  const sub = payload["sub"];
  if (typeof sub !== "string" || sub.length === 0) return reject("MissingSubject");
  const rawRoles = payload["roles"];
  const roles = Array.isArray(rawRoles) ? rawRoles.filter((role) => typeof role === "string") : [];
  return Either.right(exp === void 0 ? { sub, roles } : { sub, roles, exp });
};
const verifyEffect = (token, secret) => Effect.flatMap(Clock.currentTimeMillis, (millis) => verify(token, secret, Math.floor(millis / 1e3)));
export {
  DEVELOPMENT_SECRET,
  JwtError,
  sign,
  verify,
  verifyEffect
};
//# sourceMappingURL=Jwt.js.map
