import { afterAll, expect } from "vitest"
import { registry } from "./SecretScan.js"

// vitest setup file: after each test file, nothing the service logged may contain a secret the file used
afterAll(() => {
  expect(registry.takeLeaks()).toEqual([])
})
