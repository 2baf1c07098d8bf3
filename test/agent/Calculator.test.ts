import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck } from "effect"
import * as Calculator from "../../src/agent/tools/Calculator.js"
import { BuiltinTools } from "../../src/agent/tools/index.js"
import * as Tool from "../../src/agent/Tool.js"

const value = (expression: string): number => Either.getOrThrow(Calculator.evaluate(expression))

const reason = (expression: string): Calculator.CalculatorErrorReason | undefined =>
  Either.match(Calculator.evaluate(expression), { onLeft: (e) => e.reason, onRight: () => undefined })

describe("Calculator.evaluate", () => {
  it("reads numbers: integers, decimals, leading dot, exponents", () => {
    expect(value("42")).toBe(42)
    expect(value("3.25")).toBe(3.25)
    expect(value(".5")).toBe(0.5)
    expect(value("1e3")).toBe(1000)
    expect(value("2.5E-1")).toBe(0.25)
    expect(value("  7  ")).toBe(7)
  })

  it("follows precedence", () => {
    expect(value("1 + 2 * 3")).toBe(7)
    expect(value("(1 + 2) * 3")).toBe(9)
    expect(value("10 - 4 / 2")).toBe(8)
    expect(value("2 * 3 ^ 2")).toBe(18)
    expect(value("7 + 10 % 4")).toBe(9)
  })

  it("is left-associative for + - * / % and right-associative for ^", () => {
    expect(value("10 - 3 - 2")).toBe(5)
    expect(value("64 / 4 / 2")).toBe(8)
    expect(value("100 % 7 % 3")).toBe(2)
    expect(value("2 ^ 3 ^ 2")).toBe(512)
    expect(value("2 ** 3 ** 2")).toBe(512)
  })

  it("handles unary signs", () => {
    expect(value("-3")).toBe(-3)
    expect(value("+3")).toBe(3)
    expect(value("- -3")).toBe(3)
    expect(value("2 * -3")).toBe(-6)
    expect(value("-2 ^ 2")).toBe(-4) // the sign binds looser than ^, as in maths
    expect(value("(-2) ^ 2")).toBe(4)
    expect(value("2 ^ -1")).toBe(0.5)
    expect(value("-(1 + 2)")).toBe(-3)
  })

  it("accepts x, × and ÷", () => {
    expect(value("17 x 23")).toBe(391)
    expect(value("17×23")).toBe(391)
    expect(value("6 ÷ 4")).toBe(1.5)
  })

  it("fails with a typed reason", () => {
    expect(reason("")).toBe("Empty")
    expect(reason("   ")).toBe("Empty")
    expect(reason("2 + a")).toBe("InvalidCharacter")
    expect(reason("2 3")).toBe("UnexpectedToken")
    expect(reason("* 3")).toBe("UnexpectedToken")
    expect(reason("1 +")).toBe("UnexpectedEnd")
    expect(reason("(1 + 2")).toBe("UnbalancedParens")
    expect(reason("1 + 2)")).toBe("UnbalancedParens")
    expect(reason("()")).toBe("UnexpectedToken")
    expect(reason("(1 +)")).toBe("UnexpectedToken")
    expect(reason("1 / 0")).toBe("DivisionByZero")
    expect(reason("1 % (2 - 2)")).toBe("DivisionByZero")
    expect(reason("10 ^ 400")).toBe("NonFinite")
    expect(reason("1e400")).toBe("NonFinite")
    expect(reason("(-8) ^ (1 / 3)")).toBe("NonFinite")
    expect(reason("1+".repeat(250) + "1")).toBe("TooLong")
  })

  it("limits nesting depth", () => {
    const nested = (depth: number) => "(".repeat(depth) + "1" + ")".repeat(depth)
    expect(value(nested(Calculator.MAX_DEPTH))).toBe(1)
    expect(reason(nested(Calculator.MAX_DEPTH + 1))).toBe("TooDeep")
    expect(reason("-".repeat(Calculator.MAX_DEPTH + 1) + "1")).toBe("TooDeep")
  })

  it("says what went wrong in the message", () => {
    const message = (expression: string) => Either.getOrThrow(Either.flip(Calculator.evaluate(expression))).message
    expect(message("2 + a")).toBe("invalid character \"a\" at position 5")
    expect(message("(1 + 2")).toBe("unbalanced parenthesis at position 1")
    expect(message("1 / 0")).toBe("division by zero")
  })

  it.prop(
    "agrees with JavaScript on a op b for integers",
    [FastCheck.integer(), FastCheck.integer(), FastCheck.constantFrom("+", "-", "*")],
    ([a, b, op]) => {
      const expected = op === "+" ? a + b : op === "-" ? a - b : a * b
      expect(value(`${a} ${op} ${b}`)).toBe(expected)
    }
  )

  it.prop(
    "never throws on arbitrary input",
    [
      FastCheck.oneof(
        FastCheck.string({ maxLength: 600 }),
        FastCheck.string({
          unit: FastCheck.constantFrom(..."0123456789.eE+-*/%^()x×÷ \t".split("")),
          maxLength: 120
        })
      )
    ],
    ([input]) => {
      const result = Calculator.evaluate(input)
      if (Either.isLeft(result)) expect(result.left._tag).toBe("CalculatorError")
      else expect(Number.isFinite(result.right)).toBe(true)
    },
    { fastCheck: { numRuns: 2000 } }
  )
})

describe("Calculator.extractExpression", () => {
  it("finds arithmetic in a chat message", () => {
    expect(Calculator.extractExpression("what is 17 * 23")).toBe("17 * 23")
    expect(Calculator.extractExpression("compute (2+3)*4?")).toBe("(2 + 3) * 4")
    expect(Calculator.extractExpression("17*23")).toBe("17 * 23")
    expect(Calculator.extractExpression("What is 17 x 23?")).toBe("17 * 23")
    expect(Calculator.extractExpression("how much is 6÷3.")).toBe("6 / 3")
    expect(Calculator.extractExpression("2+2=?")).toBe("2 + 2")
    expect(Calculator.extractExpression("what's -3 * 4")).toBe("-3 * 4")
    expect(Calculator.extractExpression("(what is 2+3)")).toBe("2 + 3")
    expect(Calculator.extractExpression("what's 10 / 0?")).toBe("10 / 0") // the calculator will say why
  })

  it("returns undefined without an operator between operands", () => {
    expect(Calculator.extractExpression("hello")).toBeUndefined()
    expect(Calculator.extractExpression("I am 42")).toBeUndefined()
    expect(Calculator.extractExpression("what is -5")).toBeUndefined()
    expect(Calculator.extractExpression("")).toBeUndefined()
    expect(Calculator.extractExpression("solve x + 2 = 5")).toBeUndefined()
    expect(Calculator.extractExpression("play track mp3 + 4")).toBeUndefined()
    expect(Calculator.extractExpression("the value is 0x1F")).toBeUndefined()
    expect(Calculator.extractExpression("today is 2024-01-05")).toBeUndefined()
    expect(Calculator.extractExpression("version 1.2.3")).toBeUndefined()
  })

  it.prop("never throws and returns something that parses", [FastCheck.string({ maxLength: 200 })], ([text]) => {
    const expression = Calculator.extractExpression(text)
    if (expression !== undefined) {
      const result = Calculator.evaluate(expression)
      if (Either.isLeft(result)) expect(["DivisionByZero", "NonFinite"]).toContain(result.left.reason)
    }
  })
})

describe("CalculatorTool", () => {
  it.effect("returns the expression and its value", () =>
    Effect.gen(function*() {
      const output = yield* Calculator.CalculatorTool.run({ expression: " 2 ^ 10 " })
      expect(output).toEqual({ expression: "2 ^ 10", value: 1024 })
    }))

  it.effect("maps CalculatorError to ToolError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Calculator.CalculatorTool.run({ expression: "1 / 0" }))
      expect(error).toBeInstanceOf(Tool.ToolError)
      expect(error).toMatchObject({ tool: "calculator", message: "division by zero" })
    }))

  it.effect("runs by name from unknown JSON through the toolkit", () =>
    Effect.gen(function*() {
      expect(yield* BuiltinTools.runUnknown("calculator", { expression: "6 * 7" })).toEqual({
        expression: "6 * 7",
        value: 42
      })
      const badInput = yield* Effect.flip(BuiltinTools.runUnknown("calculator", { expression: 42 }))
      expect(badInput.tool).toBe("calculator")
      expect(badInput.message).toMatch(/^invalid input/)
      const unknown = yield* Effect.flip(BuiltinTools.runUnknown("__proto__", {}))
      expect(unknown.message).toBe("unknown tool \"__proto__\"")
    }))

  it("describes its input as JSON Schema", () => {
    expect(Calculator.CalculatorTool.parameters).toMatchObject({
      type: "object",
      required: ["expression"],
      properties: { expression: { type: "string" } }
    })
  })
})
