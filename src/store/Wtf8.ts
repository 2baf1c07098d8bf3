import { isUtf8 } from "node:buffer"

/**
 * WTF-8: UTF-8 generalised to every JavaScript string. A string may hold a
 * lone surrogate (a JSON `"\ud800"` in a token's `sub` or a frame's `id`),
 * which UTF-8 cannot hold: Node writes it as U+FFFD, so two strings that
 * differ only there, or one with a lone surrogate and one with a real
 * U+FFFD, would become the same bytes — the same Redis key or field. WTF-8
 * writes a lone surrogate as its own three bytes (`ED A0 80`–`ED BF BF`),
 * which no UTF-8 holds: injective, and the very UTF-8 bytes for a string
 * without one, so keys written before stay where they were.
 */

// a high surrogate not followed by a low one, or a low one not after a high one (one pass, no backtracking)
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether `text` is well-formed UTF-16 (no lone surrogate): then its WTF-8 is its UTF-8. */
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text)

/** The WTF-8 bytes of `text` (its UTF-8 bytes unless it holds a lone surrogate). */
export const encode = (text: string): Buffer => {
  if (isWellFormed(text)) return Buffer.from(text, "utf8")
  const bytes: Array<number> = []
  // (code points: a pair is one, a lone surrogate is itself)
  for (const char of text) {
    const cp = char.codePointAt(0)!
    if (cp < 0x80) bytes.push(cp)
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f))
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
    else bytes.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
  }
  return Buffer.from(bytes)
}

/**
 * The string whose WTF-8 `bytes` are: the inverse of `encode` on what it
 * writes. Bytes it never writes (a damaged key) read as some string, never
 * a throw: a byte that starts no valid sequence as U+FFFD (one per byte,
 * where Node's UTF-8 decoding may make one of several).
 */
export const decode = (bytes: Uint8Array): string => {
  if (isUtf8(bytes)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
  let out = ""
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i]!
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0
    let cp = length === 1 ? lead : length === 2 ? lead & 0x1f : length === 3 ? lead & 0x0f : lead & 0x07
    let valid = length > 0 && i + length <= bytes.length
    for (let k = 1; valid && k < length; k++) {
      const next = bytes[i + k]!
      if ((next & 0xc0) !== 0x80) valid = false
      cp = (cp << 6) | (next & 0x3f)
    }
    // the shortest form only, and nothing past U+10FFFF
    const least = length === 2 ? 0x80 : length === 3 ? 0x800 : length === 4 ? 0x10000 : 0
    if (!valid || cp < least || cp > 0x10ffff) {
      out += "\uFFFD"
      i += 1
      continue
    }
    out += String.fromCodePoint(cp)
    i += length
  }
  return out
}
