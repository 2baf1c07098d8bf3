import { isUtf8 } from "node:buffer"
import { describe, expect, it } from "vitest"
import { fromKeyPart, keyPart, redisText } from "../../src/store/Redis.js"
import * as Wtf8 from "../../src/store/Wtf8.js"

// ids a client or a token issuer can send: JSON `"\ud800"` parses to a lone surrogate
const wellFormed = ["", "user-1", "ünïcödé", "日本語", "emoji 😀 pair", "\uFFFD", "a\u0000b"]
const loneSurrogates = ["\uD800", "\uDBFF", "\uDC00", "\uDFFF", "x\uD800", "x\uDC00", "\uDC00\uD800", "😀\uD83D", "\uDE00😀"]

describe("WTF-8 (ids as Redis keys and fields)", () => {
  it("is UTF-8 for every well-formed string, so keys written before stay where they were", () => {
    for (const text of wellFormed) {
      expect(Wtf8.encode(text)).toEqual(Buffer.from(text, "utf8"))
      expect(keyPart(text)).toBe(Buffer.from(text, "utf8").toString("hex"))
      expect(redisText(text)).toBe(text)
    }
  })

  it("keeps strings apart that UTF-8 would merge: lone surrogates, and a lone surrogate against U+FFFD", () => {
    const all = [...loneSurrogates, "x\uFFFD", "\uFFFD", "x"]
    // what UTF-8 alone did: these fell together
    expect(Buffer.from("x\uD800", "utf8")).toEqual(Buffer.from("x\uDC00", "utf8"))
    expect(new Set(all.map(keyPart)).size).toBe(all.length)
    expect(new Set(all.map((text) => Wtf8.encode(text).toString("latin1"))).size).toBe(all.length)
    for (const text of loneSurrogates) {
      expect(Wtf8.isWellFormed(text)).toBe(false)
      // bytes UTF-8 never holds: no well-formed id can be given them
      expect(redisText(text)).toEqual(Wtf8.encode(text))
      expect(isUtf8(Wtf8.encode(text))).toBe(false)
    }
  })

  it("reads back every string it wrote (keyPart, fromKeyPart)", () => {
    // every code unit around the surrogates, alone and in pairs either way round
    const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff]
    const texts = [...wellFormed, ...loneSurrogates]
    for (const a of units) for (const b of units) texts.push(String.fromCharCode(a, b))
    for (const text of texts) {
      expect(Wtf8.decode(Wtf8.encode(text))).toBe(text)
      expect(fromKeyPart(keyPart(text))).toBe(text)
    }
  })

  it("reads bytes it never writes (a damaged key) as U+FFFD, without throwing", () => {
    expect(Wtf8.decode(Buffer.from([0x61, 0xff, 0x62]))).toBe("a\uFFFDb")
    expect(Wtf8.decode(Buffer.from([0xe2, 0x82]))).toBe("\uFFFD\uFFFD")
    // an overlong `/`, and a code point past U+10FFFF
    expect(Wtf8.decode(Buffer.from([0xe0, 0x80, 0xaf]))).toBe("\uFFFD\uFFFD\uFFFD")
    expect(Wtf8.decode(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe("\uFFFD\uFFFD\uFFFD\uFFFD")
  })
})
