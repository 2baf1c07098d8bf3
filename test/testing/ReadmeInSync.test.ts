import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(__dirname, "../..")

/** The first ```ts block after `heading` in README.md. */
const readmeBlock = (heading: string): string => {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8")
  const at = readme.indexOf(heading)
  const start = readme.indexOf("```ts\n", at) + "```ts\n".length
  return readme.slice(start, readme.indexOf("```", start))
}

describe("README's handler-test example", () => {
  it("is test/testing/ReadmeExample.test.ts, with the package's import names", () => {
    const test = fs.readFileSync(path.join(root, "test/testing/ReadmeExample.test.ts"), "utf8")
      .replace(`"../../src/index.js"`, `"switchyard"`)
      .replace(`"../../src/testing.js"`, `"switchyard/testing"`)
    expect(readmeBlock("### Testing a handler")).toBe(test)
  })
})
