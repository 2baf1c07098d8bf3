import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, TestClock } from "effect"
import { createHmac } from "node:crypto"
import * as Jwt from "../../src/transport/Jwt.js"

const SECRET = "test-secret"
const NOW = 1_700_000_000

const reasonOf = (result: Either.Either<Jwt.Claims, Jwt.JwtError>): Jwt.JwtErrorReason | undefined =>
  Either.match(result, { onLeft: (e) => e.reason, onRight: () => undefined })

const b64 = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url")

/** A token with any header, signed correctly with `SECRET` (to test checks after the signature). */
const forge = (header: unknown, payload: unknown, secret = SECRET) => {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`
}

describe("Jwt", () => {
  it("round-trips sub, roles and exp", () => {
    const token = Jwt.sign({ sub: "alice", roles: ["admin"], exp: NOW + 60 }, SECRET)
    expect(token.split(".")).toHaveLength(3)
    expect(Jwt.verify(token, SECRET, NOW)).toStrictEqual(Either.right({ sub: "alice", roles: ["admin"], exp: NOW + 60 }))
  })

  it("accepts a token without roles", () => {
    expect(Jwt.verify(Jwt.sign({ sub: "bob", exp: NOW + 60 }, SECRET), SECRET, NOW)).toStrictEqual(
      Either.right({ sub: "bob", roles: [], exp: NOW + 60 })
    )
  })

  it("refuses a token without exp (PROTOCOL §2: exp is required), whatever else it has", () => {
    expect(reasonOf(Jwt.verify(Jwt.sign({ sub: "bob" }, SECRET), SECRET, NOW))).toBe("MissingExpiry")
    expect(reasonOf(Jwt.verify(Jwt.sign({ sub: "bob", roles: ["admin"], nbf: NOW - 10 }, SECRET), SECRET, NOW)))
      .toBe("MissingExpiry")
    expect(new Jwt.JwtError({ reason: "MissingExpiry" }).message).toBe("JWT rejected: missing expiry (exp)")
  })

  it("keeps only string roles", () => {
    const token = Jwt.sign({ sub: "carol", roles: ["admin", 1, null, "ops", { x: 1 }], exp: NOW + 60 }, SECRET)
    expect(Either.getOrThrow(Jwt.verify(token, SECRET, NOW)).roles).toEqual(["admin", "ops"])
    const notArray = Jwt.sign({ sub: "carol", roles: "admin", exp: NOW + 60 }, SECRET)
    expect(Either.getOrThrow(Jwt.verify(notArray, SECRET, NOW)).roles).toEqual([])
  })

  it("is expired when exp + 30 s of leeway <= now", () => {
    const token = Jwt.sign({ sub: "alice", exp: NOW }, SECRET)
    expect(Jwt.CLOCK_LEEWAY_S).toBe(30)
    expect(reasonOf(Jwt.verify(token, SECRET, NOW - 1))).toBeUndefined()
    expect(reasonOf(Jwt.verify(token, SECRET, NOW))).toBeUndefined()
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 29))).toBeUndefined()
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 30))).toBe("Expired")
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 3600))).toBe("Expired")
    // without leeway, exp itself is the end
    expect(reasonOf(Jwt.verify(token, SECRET, NOW, 0))).toBe("Expired")
  })

  it("honours nbf with 30 s of leeway", () => {
    const token = Jwt.sign({ sub: "alice", nbf: NOW + 40, exp: NOW + 3600 }, SECRET)
    expect(reasonOf(Jwt.verify(token, SECRET, NOW))).toBe("NotYetValid")
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 9))).toBe("NotYetValid")
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 10))).toBeUndefined()
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 40))).toBeUndefined()
    expect(reasonOf(Jwt.verify(token, SECRET, NOW + 10, 0))).toBe("NotYetValid")
  })

  it("rejects a bad signature: wrong secret, tampered payload, truncated signature", () => {
    const token = Jwt.sign({ sub: "alice", exp: NOW + 60 }, SECRET)
    expect(reasonOf(Jwt.verify(token, "other-secret", NOW))).toBe("BadSignature")
    const [header, , signature] = token.split(".")
    const tampered = `${header}.${b64({ sub: "admin", exp: NOW + 60 })}.${signature}`
    expect(reasonOf(Jwt.verify(tampered, SECRET, NOW))).toBe("BadSignature")
    expect(reasonOf(Jwt.verify(token.slice(0, -2), SECRET, NOW))).toBe("BadSignature")
  })

  it("rejects alg none and other algorithms", () => {
    const none = `${b64({ alg: "none", typ: "JWT" })}.${b64({ sub: "alice" })}.`
    expect(reasonOf(Jwt.verify(none, SECRET, NOW))).toBe("Malformed") // the empty signature fails first
    const noneWithSignature = `${b64({ alg: "none" })}.${b64({ sub: "alice" })}.AAAA`
    expect(reasonOf(Jwt.verify(noneWithSignature, SECRET, NOW))).toBe("UnsupportedAlgorithm")
    expect(reasonOf(Jwt.verify(forge({ alg: "HS512" }, { sub: "alice" }), SECRET, NOW))).toBe("UnsupportedAlgorithm")
    expect(reasonOf(Jwt.verify(forge({ typ: "JWT" }, { sub: "alice" }), SECRET, NOW))).toBe("UnsupportedAlgorithm")
  })

  it("rejects malformed tokens", () => {
    for (
      const token of [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        `${b64({ alg: "HS256" })}..sig`,
        `${b64({ alg: "HS256" })}.${b64({ sub: "a" })}.si+g/`, // not base64url
        `not-json.${b64({ sub: "a" })}.c2ln`,
        `${b64(["HS256"])}.${b64({ sub: "a" })}.c2ln`
      ]
    ) expect(reasonOf(Jwt.verify(token, SECRET, NOW)), token).toBe("Malformed")
    // signed, but the payload is not a claims object, or its dates are not numbers
    expect(reasonOf(Jwt.verify(forge({ alg: "HS256" }, [1, 2]), SECRET, NOW))).toBe("Malformed")
    expect(reasonOf(Jwt.verify(forge({ alg: "HS256" }, { sub: "a", exp: "soon" }), SECRET, NOW))).toBe("Malformed")
    expect(reasonOf(Jwt.verify(forge({ alg: "HS256" }, { sub: "a", nbf: null, exp: NOW + 60 }), SECRET, NOW))).toBe("Malformed")
  })

  it("requires a non-empty string sub", () => {
    const exp = NOW + 60
    expect(reasonOf(Jwt.verify(Jwt.sign({ roles: ["admin"], exp }, SECRET), SECRET, NOW))).toBe("MissingSubject")
    expect(reasonOf(Jwt.verify(Jwt.sign({ sub: "", exp }, SECRET), SECRET, NOW))).toBe("MissingSubject")
    expect(reasonOf(Jwt.verify(Jwt.sign({ sub: 42, exp }, SECRET), SECRET, NOW))).toBe("MissingSubject")
  })

  it("has a message that names the reason", () => {
    expect(new Jwt.JwtError({ reason: "Expired" }).message).toBe("JWT rejected: expired")
  })

  it.effect("verifyEffect reads the time from Clock", () =>
    Effect.gen(function*() {
      const token = Jwt.sign({ sub: "alice", exp: NOW + 60 }, SECRET)
      yield* TestClock.setTime(NOW * 1000)
      expect(yield* Jwt.verifyEffect(token, SECRET)).toEqual({ sub: "alice", roles: [], exp: NOW + 60 })
      yield* TestClock.adjust("90 seconds") // exp, then the 30 s of leeway
      const error = yield* Effect.flip(Jwt.verifyEffect(token, SECRET))
      expect(error.reason).toBe("Expired")
    }))

  it("exports the development secret", () => {
    expect(Jwt.DEVELOPMENT_SECRET).toBe("switchyard-development-secret-do-not-use-in-production")
  })
})
