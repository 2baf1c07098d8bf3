import { describe, expect, it } from "vitest"
import { SecretRegistry } from "../support/SecretScan.js"
import { token } from "../support/TestServer.js"

// the suite-wide check is only as good as its scanner: it must see a token wherever it stands in a line
describe("the suite's secret scan", () => {
  it("finds a minted token in a URL, a JSON line or alone, and a literal secret anywhere", () => {
    const registry = new SecretRegistry()
    const jwt = registry.secret(token("scanned"))
    registry.secret("sk-test-0123456789")
    registry.record(`{"message":"upgrade","url":"/ws?access_token=${jwt}&x=1"}`)
    expect(registry.takeLeaks()).toHaveLength(1)
    registry.record("key=sk-test-0123456789;")
    expect(registry.takeLeaks()).toEqual(["sk-test-0123456789…"])
    // what was read is not charged again (to the next test file of the worker)
    expect(registry.takeLeaks()).toEqual([])
  })

  it("finds nothing in output that holds no registered secret", () => {
    const registry = new SecretRegistry()
    registry.secret(token("scanned"))
    registry.record(`{"message":"upgrade","url":"/ws?access_token=${token("another")}"}`)
    expect(registry.takeLeaks()).toEqual([])
  })
})
