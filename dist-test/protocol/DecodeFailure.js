import { SchemaAST } from "effect";
import { FrameError } from "./FrameError.js";
const toFrameError = (error, prefix = []) => {
  const leaf = firstLeaf(error.issue, []);
  const path = [...prefix, ...leaf.path];
  const where = path.length === 0 ? "frame" : path.map(String).join(".");
  return FrameError.invalidMessage(`${where}: ${leaf.message}`, path, leaf.expected);
};
const firstLeaf = (issue, path) => {
  switch (issue._tag) {
    case "Pointer":
      return firstLeaf(issue.issue, [...path, ...Array.isArray(issue.path) ? issue.path : [issue.path]]);
    case "Composite": {
      const issues = issue.issues;
      const first = Array.isArray(issues) ? issues[0] : issues;
      return first === void 0 ? { path, expected: describe(issue.ast), message: `expected ${describe(issue.ast)}` } : firstLeaf(first, path);
    }
    case "Refinement": {
      const expected = describe(issue.ast);
      if (issue.kind !== "From") return { path, expected, message: `expected ${expected}` };
      const leaf = firstLeaf(issue.issue, path);
      return leaf.path.length === path.length ? { path, expected, message: `expected ${expected}` } : leaf;
    }
    case "Transformation":
      return firstLeaf(issue.issue, path);
    case "Missing":
      return { path, expected: describe(issue.ast), message: "is missing" };
    case "Unexpected":
      return { path, expected: "nothing", message: "is unexpected" };
    case "Type":
      return { path, expected: describe(issue.ast), message: `expected ${describe(issue.ast)}` };
    case "Forbidden":
      return { path, expected: describe(issue.ast), message: "cannot be decoded here" };
  }
};
const describe = (ast) => {
  const description = SchemaAST.getDescriptionAnnotation(ast);
  if (description._tag === "Some") return description.value;
  return String(ast);
};
export {
  toFrameError
};
//# sourceMappingURL=DecodeFailure.js.map
