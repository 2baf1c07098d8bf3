import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import { signToken, verifyToken } from "../../scripts/bench/jwt.js"

describe("bench JWT", () => {
  it("signs an HS256 token whose signature checks out and whose sub is the user", () => {
    const token = signToken("alice", "s3cret")
    const [header, payload, sig] = token.split(".") as [string, string, string]
    expect(JSON.parse(Buffer.from(header, "base64url").toString())).toEqual({ alg: "HS256", typ: "JWT" })
    expect(JSON.parse(Buffer.from(payload, "base64url").toString())).toMatchObject({ sub: "alice" })
    expect(sig).toBe(createHmac("sha256", "s3cret").update(`${header}.${payload}`).digest("base64url"))
    expect(verifyToken(token, "s3cret")).toBe("alice")
  })

  it("rejects a wrong secret, a tampered token, an expired token and garbage", () => {
    const token = signToken("alice", "s3cret", 60)
    expect(verifyToken(token, "other")).toBeUndefined()
    const [h, , s] = token.split(".")
    const forged = Buffer.from(JSON.stringify({ sub: "mallory", exp: 9e9 })).toString("base64url")
    expect(verifyToken(`${h}.${forged}.${s}`, "s3cret")).toBeUndefined()
    expect(verifyToken(token, "s3cret", Date.now() / 1000 + 120)).toBeUndefined()
    expect(verifyToken("not.a.jwt", "s3cret")).toBeUndefined()
    expect(verifyToken("", "s3cret")).toBeUndefined()
  })
})
