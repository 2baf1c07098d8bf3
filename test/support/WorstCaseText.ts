/**
 * Chat texts of the longest `user_message` (32,000 characters) shaped to make
 * a careless parser of the built-in agent super-linear: runs of dangling
 * operators and parentheses (trimmed with `slice` in a loop), long operand/
 * operator runs, "x" between operands, many zone-like words (an `Intl` lookup
 * each), long blanks after keywords that regexes backtrack over.
 */
const MAX = 32_000

// `unit` repeated up to the longest message
const fill = (unit: string, prefix = ""): string =>
  prefix + unit.repeat(Math.floor((MAX - prefix.length) / unit.length))

export const worstCaseTexts: ReadonlyArray<string> = [
  fill("*/"),
  fill("("),
  fill(")"),
  fill(")("),
  fill("1x"),
  fill(" x", "1"),
  fill("1+"),
  fill("-"),
  fill("1+("),
  fill("*", "1+1"),
  fill("0x"),
  fill("1."),
  fill("× "),
  fill("2024-01-01 "),
  fill("a/b "),
  fill("-a/b"),
  fill("Europe/Nowhere ", "what time is it in "),
  fill("in Aa "),
  fill(" ", "what"),
  fill(" ", "what time is it in"),
  fill("UTCX "),
  fill("a/", "what time "),
]
