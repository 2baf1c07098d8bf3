import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ClaimWaits } from "../../src/pipeline/ClaimWaits.js"
import { FrameTicket } from "../../src/handlers/FrameContext.js"

// a frame chain holding the claims of `ids` (a batch and its inner frame being processed)
const chain = (...ids: Array<string>) => {
  const ticket = new FrameTicket(ids[0])
  for (const id of ids) ticket.hold(id)
  return ticket
}

describe("ClaimWaits", () => {
  it("refuses a wait for a claim the chain holds itself", () => {
    const waits = new ClaimWaits()
    expect(waits.enter(chain("b1"), "u", "b1")).toBeUndefined()
  })

  it("lets a chain wait for a claim held by a chain that is running", () => {
    const waits = new ClaimWaits()
    chain("y")
    expect(waits.enter(chain("x"), "u", "y")).toBeDefined()
  })

  it("refuses the wait that closes a cycle through other waiting chains", () => {
    const waits = new ClaimWaits()
    const a = chain("a")
    const b = chain("b")
    const c = chain("c")
    expect(waits.enter(a, "u", "b")).toBeDefined()
    expect(waits.enter(b, "u", "c")).toBeDefined()
    // c waiting for a would close a → b → c → a
    expect(waits.enter(c, "u", "a")).toBeUndefined()
    // another user's ids are not part of it
    expect(waits.enter(chain("c"), "v", "a")).toBeDefined()
  })

  it.effect("forgets a wait once it ended", () =>
    Effect.gen(function*() {
      const waits = new ClaimWaits()
      const a = chain("a")
      const b = chain("b")
      const waiter = waits.enter(a, "u", "b")!
      // while a waits for b, b may not wait for a
      expect(waits.enter(b, "u", "a")).toBeUndefined()
      yield* waits.during(waiter, Effect.void)
      expect(waits.enter(b, "u", "a")).toBeDefined()
    }))

  it("tracks claims innermost first on the ticket", () => {
    const ticket = chain("outer")
    ticket.hold("inner")
    expect(ticket.holds("inner")).toBe(true)
    ticket.unhold("inner")
    expect(ticket.holds("inner")).toBe(false)
    expect(ticket.holds("outer")).toBe(true)
    ticket.unhold("outer")
    expect(ticket.holds("outer")).toBe(false)
  })
})
