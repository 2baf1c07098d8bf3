/**
 * The `calculator` tool: a small, safe arithmetic evaluator (a recursive-descent
 * parser; never `eval` or `Function`, since the input comes from chat users and
 * models), plus `extractExpression` to spot arithmetic in a chat message.
 */
import { Data, Effect, Either, Schema } from "effect"
import * as Tool from "../Tool.js"

/** Longest expression accepted, in characters. */
export const MAX_LENGTH = 500

/** Deepest nesting accepted (parentheses, unary signs and exponents). */
export const MAX_DEPTH = 100

/** Why an expression could not be evaluated. */
export type CalculatorErrorReason =
  | "Empty"
  | "InvalidCharacter"
  | "UnexpectedToken"
  | "UnexpectedEnd"
  | "UnbalancedParens"
  | "DivisionByZero"
  | "NonFinite"
  | "TooLong"
  | "TooDeep"

/**
 * A failed evaluation. `position` is the 0-based index in the input of the
 * offending character or token, when there is one.
 */
export class CalculatorError extends Data.TaggedError("CalculatorError")<{
  readonly reason: CalculatorErrorReason
  readonly position?: number
  readonly token?: string
}> {
  override get message(): string {
    const at = this.position === undefined ? "" : ` at position ${this.position + 1}`
    switch (this.reason) {
      case "Empty":
        return "empty expression"
      case "InvalidCharacter":
        return `invalid character "${this.token ?? ""}"${at}`
      case "UnexpectedToken":
        return `unexpected "${this.token ?? ""}"${at}`
      case "UnexpectedEnd":
        return "unexpected end of expression"
      case "UnbalancedParens":
        return `unbalanced parenthesis${at}`
      case "DivisionByZero":
        return "division by zero"
      case "NonFinite":
        return "result is not a finite number"
      case "TooLong":
        return `expression is longer than ${MAX_LENGTH} characters`
      case "TooDeep":
        return `expression is nested more than ${MAX_DEPTH} levels deep`
    }
  }
}

// ---------------------------------------------------------------------------
// Lexer

type Operator = "+" | "-" | "*" | "/" | "%" | "^"

type Token =
  | { readonly kind: "number"; readonly value: number; readonly text: string; readonly position: number }
  | { readonly kind: "operator"; readonly op: Operator; readonly text: string; readonly position: number }
  | { readonly kind: "lparen"; readonly text: string; readonly position: number }
  | { readonly kind: "rparen"; readonly text: string; readonly position: number }

// ints, decimals, leading-dot decimals, optional exponent; sticky so it matches at an index
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y

const OPERATORS: Readonly<Record<string, Operator>> = {
  "+": "+",
  "-": "-",
  "\u2212": "-", // − minus sign
  "*": "*",
  "x": "*",
  "X": "*",
  "\u00d7": "*", // ×
  "\u00b7": "*", // ·
  "/": "/",
  "\u00f7": "/", // ÷
  "%": "%",
  "^": "^"
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9"

const isSpace = (c: string): boolean => /\s/.test(c)

const matchNumber = (input: string, index: number): string | undefined => {
  NUMBER.lastIndex = index
  return NUMBER.exec(input)?.[0]
}

// Internal early exit: the parser throws `CalculatorError`, and `evaluate` /
// `parse` catch it, so the public API never throws.
const fail = (reason: CalculatorErrorReason, position?: number, token?: string): never => {
  throw new CalculatorError({
    reason,
    ...(position === undefined ? {} : { position }),
    ...(token === undefined ? {} : { token })
  })
}

const tokenize = (input: string): ReadonlyArray<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (isSpace(c)) {
      i++
      continue
    }
    if (isDigit(c) || (c === "." && isDigit(input[i + 1]))) {
      const text = matchNumber(input, i)!
      tokens.push({ kind: "number", value: Number(text), text, position: i })
      i += text.length
      continue
    }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c === "(" ? "lparen" : "rparen", text: c, position: i })
      i++
      continue
    }
    if (c === "*" && input[i + 1] === "*") {
      tokens.push({ kind: "operator", op: "^", text: "**", position: i })
      i += 2
      continue
    }
    const op = Object.hasOwn(OPERATORS, c) ? OPERATORS[c] : undefined
    if (op === undefined) {
      return fail("InvalidCharacter", i, String.fromCodePoint(input.codePointAt(i)!))
    }
    tokens.push({ kind: "operator", op, text: c, position: i })
    i++
  }
  return tokens
}

// ---------------------------------------------------------------------------
// Parser
//
//   expression := term (("+" | "-") term)*
//   term       := unary (("*" | "/" | "%") unary)*
//   unary      := ("+" | "-") unary | power
//   power      := primary ("^" unary)?        right-associative; -2^2 = -(2^2)
//   primary    := number | "(" expression ")"

type Expr =
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "negate"; readonly operand: Expr }
  | { readonly kind: "binary"; readonly op: Operator; readonly left: Expr; readonly right: Expr }

const parseTokens = (tokens: ReadonlyArray<Token>): Expr => {
  let index = 0
  const peek = (): Token | undefined => tokens[index]
  const isOp = (token: Token | undefined, ...ops: ReadonlyArray<Operator>): token is Token & { kind: "operator" } =>
    token !== undefined && token.kind === "operator" && ops.includes(token.op)
  const deeper = (depth: number, token: Token): number =>
    depth + 1 > MAX_DEPTH ? fail("TooDeep", token.position) : depth + 1

  const expression = (depth: number): Expr => {
    let left = term(depth)
    for (let token = peek(); isOp(token, "+", "-"); token = peek()) {
      index++
      left = { kind: "binary", op: token.op, left, right: term(depth) }
    }
    return left
  }

  const term = (depth: number): Expr => {
    let left = unary(depth)
    for (let token = peek(); isOp(token, "*", "/", "%"); token = peek()) {
      index++
      left = { kind: "binary", op: token.op, left, right: unary(depth) }
    }
    return left
  }

  const unary = (depth: number): Expr => {
    const token = peek()
    if (isOp(token, "+", "-")) {
      index++
      const operand = unary(deeper(depth, token))
      return token.op === "-" ? { kind: "negate", operand } : operand
    }
    return power(depth)
  }

  const power = (depth: number): Expr => {
    const base = primary(depth)
    const token = peek()
    if (isOp(token, "^")) {
      index++
      return { kind: "binary", op: "^", left: base, right: unary(deeper(depth, token)) }
    }
    return base
  }

  const primary = (depth: number): Expr => {
    const token = peek()
    if (token === undefined) return fail("UnexpectedEnd")
    index++
    switch (token.kind) {
      case "number":
        return { kind: "number", value: token.value }
      case "lparen": {
        const inner = expression(deeper(depth, token))
        const close = peek()
        if (close === undefined) return fail("UnbalancedParens", token.position, "(")
        if (close.kind !== "rparen") return fail("UnexpectedToken", close.position, close.text)
        index++
        return inner
      }
      case "rparen": // an operand was due: "()" or "(1 +)"
      case "operator":
        return fail("UnexpectedToken", token.position, token.text)
    }
  }

  if (tokens.length === 0) return fail("Empty")
  const result = expression(0)
  const rest = peek()
  if (rest !== undefined) {
    return rest.kind === "rparen"
      ? fail("UnbalancedParens", rest.position, ")")
      : fail("UnexpectedToken", rest.position, rest.text)
  }
  return result
}

const finite = (value: number): number => (Number.isFinite(value) ? value : fail("NonFinite"))

const evaluateExpr = (expr: Expr): number => {
  switch (expr.kind) {
    case "number":
      return finite(expr.value) // e.g. 1e400
    case "negate":
      return -evaluateExpr(expr.operand)
    case "binary": {
      const left = evaluateExpr(expr.left)
      const right = evaluateExpr(expr.right)
      switch (expr.op) {
        case "+":
          return finite(left + right)
        case "-":
          return finite(left - right)
        case "*":
          return finite(left * right)
        case "/":
          return right === 0 ? fail("DivisionByZero") : finite(left / right)
        case "%":
          // JavaScript remainder: the sign follows the dividend
          return right === 0 ? fail("DivisionByZero") : finite(left % right)
        case "^":
          return finite(left ** right) // 0^-1 and (-8)^(1/3) end up here as non-finite
      }
    }
  }
}

const attempt = <A>(f: () => A): Either.Either<A, CalculatorError> => {
  try {
    return Either.right(f())
  } catch (error) {
    if (error instanceof CalculatorError) return Either.left(error)
    throw error
  }
}

const lexAndParse = (expression: string): Expr => {
  if (expression.length > MAX_LENGTH) return fail("TooLong")
  return parseTokens(tokenize(expression))
}

/**
 * Evaluates an arithmetic expression: numbers (`12`, `1.5`, `.5`, `1e3`),
 * `+ - * / % ^` (`^` or `**` is power, right-associative; `x`, `×` multiply,
 * `÷` divides), unary signs and parentheses. Never throws.
 */
export const evaluate = (expression: string): Either.Either<number, CalculatorError> =>
  attempt(() => evaluateExpr(lexAndParse(expression)))

// ---------------------------------------------------------------------------
// Tool

/** The `calculator` tool's input. */
export const CalculatorInput = Schema.Struct({
  expression: Schema.String.annotations({
    description: "An arithmetic expression, e.g. \"(2 + 3) * 4 ^ 2\". Supports + - * / % ^ and parentheses."
  })
})

/** The `calculator` tool's output. */
export interface CalculatorOutput {
  readonly expression: string
  readonly value: number
}

/** The `calculator` tool; a `CalculatorError` becomes a `ToolError` with its message. */
export const CalculatorTool = Tool.make({
  name: "calculator",
  description: "Evaluates an arithmetic expression exactly as written and returns its numeric value.",
  input: CalculatorInput,
  run: ({ expression }) =>
    evaluate(expression).pipe(
      Effect.map((value): CalculatorOutput => ({ expression: expression.trim(), value })),
      Effect.mapError((error) => new Tool.ToolError({ tool: "calculator", message: error.message }))
    )
})

// ---------------------------------------------------------------------------
// Spotting arithmetic in chat

const isLetter = (c: string | undefined): boolean => c !== undefined && /[\p{L}_]/u.test(c)

const startsOperand = (c: string | undefined): boolean => isDigit(c) || c === "." || c === "("

// calendar dates look like subtractions and divisions, but nobody wants them computed
const DATE = /^\s*(?:\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}|\d{1,2}\s*\/\s*\d{1,2}\s*\/\s*\d{4})\s*$/

/**
 * Splits text into maximal runs of characters that could be arithmetic, in one
 * pass (each character is looked at a bounded number of times). Runs longer
 * than `MAX_LENGTH` are left out: no expression that long is asked in chat,
 * and the calculator would refuse it anyway — so what is tokenised, trimmed and
 * parsed afterwards is capped, however long the message.
 */
const candidateRuns = (text: string): ReadonlyArray<string> => {
  const runs: Array<string> = []
  let start = -1 // start of the current run, -1 when none
  let end = -1 // end of the current run's last non-space character
  let lastIsOperand = false
  const close = () => {
    if (start >= 0 && end - start <= MAX_LENGTH) runs.push(text.slice(start, end))
    start = -1
    lastIsOperand = false
  }
  const extend = (from: number, to: number, operand: boolean) => {
    if (start < 0) start = from
    end = to
    lastIsOperand = operand
  }
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (isSpace(c)) {
      i++
      continue
    }
    if (isDigit(c) || (c === "." && isDigit(text[i + 1]))) {
      const number = matchNumber(text, i)!
      extend(i, i + number.length, true)
      i += number.length
      continue
    }
    if (c === "(" || c === ")") {
      extend(i, i + 1, c === ")")
      i++
      continue
    }
    if ((c === "x" || c === "X") && lastIsOperand) {
      // "x" multiplies only between operands ("3 x 4", "3x4"), never inside a word;
      // the blanks skipped to see what follows are skipped by the main loop right after
      const hex = text[i - 1] === "0" && !isDigit(text[i - 2]) && text[i - 2] !== "." // "0x1F"
      if (!hex && !isLetter(text[i + 1]) && startsOperand(text[skipSpaces(text, i + 1)])) {
        extend(i, i + 1, false)
        i++
        continue
      }
    }
    if (!isLetter(c) && Object.hasOwn(OPERATORS, c)) {
      extend(i, i + 1, false)
      i++
      continue
    }
    // anything else ("=", "?", ",", a word) ends the run; skip the whole word,
    // digits included, so "mp3" or "h2o" is not read as a number
    close()
    i++
    while (i < text.length && (isLetter(text[i]) || isDigit(text[i]))) i++
  }
  close()
  return runs
}

// the index of the first non-blank character at or after `from`
const skipSpaces = (text: string, from: number): number => {
  let i = from
  while (i < text.length && isSpace(text[i]!)) i++
  return i
}

const isUnaryPosition = (previous: Token | undefined): boolean =>
  previous === undefined || previous.kind === "operator" || previous.kind === "lparen"

// only a sign can start an expression; nothing ends with an operator or "("
const droppedAtStart = (token: Token): boolean =>
  token.kind === "rparen" || (token.kind === "operator" && token.op !== "+" && token.op !== "-")
const droppedAtEnd = (token: Token): boolean => token.kind === "operator" || token.kind === "lparen"

/**
 * Drops what a sentence leaves around an expression: dangling operators and
 * unmatched parens. Each round is linear (indices, never `slice` in a loop).
 * It ends within three rounds: after the first the parens are balanced, and
 * trimming the ends then only removes operators, which unbalances nothing.
 */
const trimTokens = (input: ReadonlyArray<Token>): ReadonlyArray<Token> => {
  let tokens = input
  for (;;) {
    let from = 0
    let to = tokens.length
    while (from < to && droppedAtStart(tokens[from]!)) from++
    while (to > from && droppedAtEnd(tokens[to - 1]!)) to--
    // unmatched parentheses, e.g. from "(what is 2+3)"
    const open: Array<number> = []
    const drop = new Set<number>()
    for (let index = from; index < to; index++) {
      const token = tokens[index]!
      if (token.kind === "lparen") open.push(index)
      else if (token.kind === "rparen") {
        if (open.length > 0) open.pop()
        else drop.add(index)
      }
    }
    for (const index of open) drop.add(index)
    const kept: Array<Token> = []
    for (let index = from; index < to; index++) if (!drop.has(index)) kept.push(tokens[index]!)
    if (kept.length === tokens.length) return kept
    tokens = kept
  }
}

// parts joined once, not a string grown token by token
const format = (tokens: ReadonlyArray<Token>): string =>
  tokens.map((token, index) => {
    switch (token.kind) {
      case "number":
        return token.text.endsWith(".") ? token.text.slice(0, -1) : token.text
      case "operator":
        return isUnaryPosition(tokens[index - 1]) ? token.op : ` ${token.op} `
      default:
        return token.text
    }
  }).join("")

/**
 * Finds an arithmetic expression in a chat message and returns it normalised
 * ("what is 17 x 23?" → "17 * 23", "compute (2+3)*4?" → "(2 + 3) * 4").
 * Returns `undefined` when there is no well-formed expression with at least
 * one binary operator ("hello", "I am 42", "-5"). The first one found wins.
 * The expression may still fail to evaluate (e.g. division by zero), so that
 * the calculator can say why. Linear in the text: one pass finds the
 * candidates, and only candidates of at most `MAX_LENGTH` characters are parsed.
 */
export const extractExpression = (text: string): string | undefined => {
  for (const run of candidateRuns(text)) {
    if (DATE.test(run)) continue
    const parsed = attempt(() => {
      const tokens = trimTokens(tokenize(run))
      const hasBinary = tokens.some((token, index) => token.kind === "operator" && !isUnaryPosition(tokens[index - 1]))
      if (!hasBinary) return undefined
      const expression = format(tokens)
      lexAndParse(expression) // well-formed?
      return expression
    })
    if (Either.isRight(parsed) && parsed.right !== undefined) return parsed.right
  }
  return undefined
}
