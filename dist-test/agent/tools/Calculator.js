import { Data, Effect, Either, Schema } from "effect";
import * as Tool from "../Tool.js";
const MAX_LENGTH = 500;
const MAX_DEPTH = 100;
class CalculatorError extends Data.TaggedError("CalculatorError") {
  get message() {
    const at = this.position === void 0 ? "" : ` at position ${this.position + 1}`;
    switch (this.reason) {
      case "Empty":
        return "empty expression";
      case "InvalidCharacter":
        return `invalid character "${this.token ?? ""}"${at}`;
      case "UnexpectedToken":
        return `unexpected "${this.token ?? ""}"${at}`;
      case "UnexpectedEnd":
        return "unexpected end of expression";
      case "UnbalancedParens":
        return `unbalanced parenthesis${at}`;
      case "DivisionByZero":
        return "division by zero";
      case "NonFinite":
        return "result is not a finite number";
      case "TooLong":
        return `expression is longer than ${MAX_LENGTH} characters`;
      case "TooDeep":
        return `expression is nested more than ${MAX_DEPTH} levels deep`;
    }
  }
}
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const OPERATORS = {
  "+": "+",
  "-": "-",
  "\u2212": "-",
  // − minus sign
  "*": "*",
  "x": "*",
  "X": "*",
  "\xD7": "*",
  // ×
  "\xB7": "*",
  // ·
  "/": "/",
  "\xF7": "/",
  // ÷
  "%": "%",
  "^": "^"
};
const isDigit = (c) => c !== void 0 && c >= "0" && c <= "9";
const matchNumber = (input, index) => {
  NUMBER.lastIndex = index;
  return NUMBER.exec(input)?.[0];
};
const fail = (reason, position, token) => {
  throw new CalculatorError({
    reason,
    ...position === void 0 ? {} : { position },
    ...token === void 0 ? {} : { token }
  });
};
const tokenize = (input) => {
  const tokens = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (isDigit(c) || c === "." && isDigit(input[i + 1])) {
      const text = matchNumber(input, i);
      tokens.push({ kind: "number", value: Number(text), text, position: i });
      i += text.length;
      continue;
    }
    if (c === "(" || c === ")") {
      tokens.push({ kind: c === "(" ? "lparen" : "rparen", text: c, position: i });
      i++;
      continue;
    }
    if (c === "*" && input[i + 1] === "*") {
      tokens.push({ kind: "operator", op: "^", text: "**", position: i });
      i += 2;
      continue;
    }
    const op = Object.hasOwn(OPERATORS, c) ? OPERATORS[c] : void 0;
    if (op === void 0) {
      return fail("InvalidCharacter", i, String.fromCodePoint(input.codePointAt(i)));
    }
    tokens.push({ kind: "operator", op, text: c, position: i });
    i++;
  }
  return tokens;
};
const parseTokens = (tokens) => {
  let index = 0;
  const peek = () => tokens[index];
  const isOp = (token, ...ops) => token !== void 0 && token.kind === "operator" && ops.includes(token.op);
  const deeper = (depth, token) => depth + 1 > MAX_DEPTH ? fail("TooDeep", token.position) : depth + 1;
  const expression = (depth) => {
    let left = term(depth);
    for (let token = peek(); isOp(token, "+", "-"); token = peek()) {
      index++;
      left = { kind: "binary", op: token.op, left, right: term(depth) };
    }
    return left;
  };
  const term = (depth) => {
    let left = unary(depth);
    for (let token = peek(); isOp(token, "*", "/", "%"); token = peek()) {
      index++;
      left = { kind: "binary", op: token.op, left, right: unary(depth) };
    }
    return left;
  };
  const unary = (depth) => {
    const token = peek();
    if (isOp(token, "+", "-")) {
      index++;
      const operand = unary(deeper(depth, token));
      return token.op === "-" ? { kind: "negate", operand } : operand;
    }
    return power(depth);
  };
  const power = (depth) => {
    const base = primary(depth);
    const token = peek();
    if (isOp(token, "^")) {
      index++;
      return { kind: "binary", op: "^", left: base, right: unary(deeper(depth, token)) };
    }
    return base;
  };
  const primary = (depth) => {
    const token = peek();
    if (token === void 0) return fail("UnexpectedEnd");
    index++;
    switch (token.kind) {
      case "number":
        return { kind: "number", value: token.value };
      case "lparen": {
        const inner = expression(deeper(depth, token));
        const close = peek();
        if (close === void 0) return fail("UnbalancedParens", token.position, "(");
        if (close.kind !== "rparen") return fail("UnexpectedToken", close.position, close.text);
        index++;
        return inner;
      }
      case "rparen":
      // an operand was due: "()" or "(1 +)"
      case "operator":
        return fail("UnexpectedToken", token.position, token.text);
    }
  };
  if (tokens.length === 0) return fail("Empty");
  const result = expression(0);
  const rest = peek();
  if (rest !== void 0) {
    return rest.kind === "rparen" ? fail("UnbalancedParens", rest.position, ")") : fail("UnexpectedToken", rest.position, rest.text);
  }
  return result;
};
const finite = (value) => Number.isFinite(value) ? value : fail("NonFinite");
const evaluateExpr = (expr) => {
  switch (expr.kind) {
    case "number":
      return finite(expr.value);
    // e.g. 1e400
    case "negate":
      return -evaluateExpr(expr.operand);
    case "binary": {
      const left = evaluateExpr(expr.left);
      const right = evaluateExpr(expr.right);
      switch (expr.op) {
        case "+":
          return finite(left + right);
        case "-":
          return finite(left - right);
        case "*":
          return finite(left * right);
        case "/":
          return right === 0 ? fail("DivisionByZero") : finite(left / right);
        case "%":
          return right === 0 ? fail("DivisionByZero") : finite(left % right);
        case "^":
          return finite(left ** right);
      }
    }
  }
};
const attempt = (f) => {
  try {
    return Either.right(f());
  } catch (error) {
    if (error instanceof CalculatorError) return Either.left(error);
    throw error;
  }
};
const lexAndParse = (expression) => {
  if (expression.length > MAX_LENGTH) return fail("TooLong");
  return parseTokens(tokenize(expression));
};
const evaluate = (expression) => attempt(() => evaluateExpr(lexAndParse(expression)));
const CalculatorInput = Schema.Struct({
  expression: Schema.String.annotations({
    description: 'An arithmetic expression, e.g. "(2 + 3) * 4 ^ 2". Supports + - * / % ^ and parentheses.'
  })
});
const CalculatorTool = Tool.make({
  name: "calculator",
  description: "Evaluates an arithmetic expression exactly as written and returns its numeric value.",
  input: CalculatorInput,
  run: ({ expression }) => evaluate(expression).pipe(
    Effect.map((value) => ({ expression: expression.trim(), value })),
    Effect.mapError((error) => new Tool.ToolError({ tool: "calculator", message: error.message }))
  )
});
const isLetter = (c) => c !== void 0 && /[\p{L}_]/u.test(c);
const startsOperand = (c) => isDigit(c) || c === "." || c === "(";
const DATE = /^\s*(?:\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}|\d{1,2}\s*\/\s*\d{1,2}\s*\/\s*\d{4})\s*$/;
const candidateRuns = (text) => {
  const runs = [];
  let start = -1;
  let end = -1;
  let lastIsOperand = false;
  const close = () => {
    if (start >= 0) runs.push(text.slice(start, end));
    start = -1;
    lastIsOperand = false;
  };
  const extend = (from, to, operand) => {
    if (start < 0) start = from;
    end = to;
    lastIsOperand = operand;
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (isDigit(c) || c === "." && isDigit(text[i + 1])) {
      const number = matchNumber(text, i);
      extend(i, i + number.length, true);
      i += number.length;
      continue;
    }
    if (c === "(" || c === ")") {
      extend(i, i + 1, c === ")");
      i++;
      continue;
    }
    if (c === "x" || c === "X") {
      const next = text.slice(i + 1).trimStart()[0];
      const hex = text[i - 1] === "0" && !isDigit(text[i - 2]) && text[i - 2] !== ".";
      if (lastIsOperand && !hex && !isLetter(text[i + 1]) && startsOperand(next)) {
        extend(i, i + 1, false);
        i++;
        continue;
      }
    }
    if (!isLetter(c) && Object.hasOwn(OPERATORS, c)) {
      extend(i, i + 1, false);
      i++;
      continue;
    }
    close();
    i++;
    while (i < text.length && (isLetter(text[i]) || isDigit(text[i]))) i++;
  }
  close();
  return runs;
};
const isUnaryPosition = (previous) => previous === void 0 || previous.kind === "operator" || previous.kind === "lparen";
const trimTokens = (input) => {
  let tokens = input;
  for (; ; ) {
    const before = tokens.length;
    while (tokens.length > 0) {
      const first = tokens[0];
      if (first.kind === "rparen" || first.kind === "operator" && first.op !== "+" && first.op !== "-") {
        tokens = tokens.slice(1);
      } else break;
    }
    while (tokens.length > 0) {
      const last = tokens[tokens.length - 1];
      if (last.kind === "operator" || last.kind === "lparen") tokens = tokens.slice(0, -1);
      else break;
    }
    const open = [];
    const drop = /* @__PURE__ */ new Set();
    tokens.forEach((token, index) => {
      if (token.kind === "lparen") open.push(index);
      else if (token.kind === "rparen") {
        if (open.length > 0) open.pop();
        else drop.add(index);
      }
    });
    for (const index of open) drop.add(index);
    tokens = tokens.filter((_, index) => !drop.has(index));
    if (tokens.length === before) return tokens;
  }
};
const format = (tokens) => {
  let out = "";
  tokens.forEach((token, index) => {
    switch (token.kind) {
      case "number":
        out += token.text.endsWith(".") ? token.text.slice(0, -1) : token.text;
        break;
      case "operator":
        out += isUnaryPosition(tokens[index - 1]) ? token.op : ` ${token.op} `;
        break;
      default:
        out += token.text;
    }
  });
  return out;
};
const extractExpression = (text) => {
  for (const run of candidateRuns(text)) {
    if (DATE.test(run)) continue;
    const parsed = attempt(() => {
      const tokens = trimTokens(tokenize(run));
      const hasBinary = tokens.some((token, index) => token.kind === "operator" && !isUnaryPosition(tokens[index - 1]));
      if (!hasBinary) return void 0;
      const expression = format(tokens);
      lexAndParse(expression);
      return expression;
    });
    if (Either.isRight(parsed) && parsed.right !== void 0) return parsed.right;
  }
  return void 0;
};
export {
  CalculatorError,
  CalculatorInput,
  CalculatorTool,
  MAX_DEPTH,
  MAX_LENGTH,
  evaluate,
  extractExpression
};
//# sourceMappingURL=Calculator.js.map
