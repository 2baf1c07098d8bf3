import { ParseResult, SchemaAST } from "effect"
import { FrameError } from "./FrameError.js"

/**
 * Turns a schema `ParseError` into an `INVALID_MESSAGE` frame error whose
 * `details.path` names the offending field (prefixed with `prefix`, e.g.
 * `["payload"]`) and `details.expected` the type that was wanted.
 */
export const toFrameError = (
  error: ParseResult.ParseError,
  prefix: ReadonlyArray<PropertyKey> = []
): FrameError => {
  const leaf = firstLeaf(error.issue, [])
  const path = [...prefix, ...leaf.path]
  const where = path.length === 0 ? "frame" : path.map(String).join(".")
  return FrameError.invalidMessage(`${where}: ${leaf.message}`, path, leaf.expected)
}

interface Leaf {
  readonly path: ReadonlyArray<PropertyKey>
  readonly expected: string
  readonly message: string
}

// Walks down to the first concrete failure: that is what a client must fix first.
const firstLeaf = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>): Leaf => {
  switch (issue._tag) {
    case "Pointer":
      return firstLeaf(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])])
    case "Composite": {
      const issues = issue.issues
      const first = Array.isArray(issues) ? issues[0] : issues
      return first === undefined
        ? { path, expected: describe(issue.ast), message: `expected ${describe(issue.ast)}` }
        : firstLeaf(first as ParseResult.ParseIssue, path)
    }
    case "Refinement": {
      const expected = describe(issue.ast)
      if (issue.kind !== "From") return { path, expected, message: `expected ${expected}` }
      // a value of the wrong base type: the refinement says better what was wanted
      const leaf = firstLeaf(issue.issue, path)
      return leaf.path.length === path.length ? { path, expected, message: `expected ${expected}` } : leaf
    }
    case "Transformation":
      return firstLeaf(issue.issue, path)
    case "Missing":
      return { path, expected: describe(issue.ast), message: "is missing" }
    case "Unexpected":
      return { path, expected: "nothing", message: "is unexpected" }
    case "Type":
      return { path, expected: describe(issue.ast), message: `expected ${describe(issue.ast)}` }
    case "Forbidden":
      return { path, expected: describe(issue.ast), message: "cannot be decoded here" }
  }
}

const describe = (ast: SchemaAST.Annotated): string => {
  const description = SchemaAST.getDescriptionAnnotation(ast)
  if (description._tag === "Some") return description.value
  return String(ast)
}
