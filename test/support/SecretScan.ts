import { Logger } from "effect"

/**
 * Secrets must never leave the process (PROTOCOL §9). The suite registers
 * every secret it uses (each token `TestServer.token` mints, the signing
 * secret, API keys) and records everything the service logs; after each test
 * file `test/support/noSecretsInLogs.ts` asserts that none was found, so the
 * whole suite is checked.
 */
export class SecretRegistry {
  // a token is found by its signature: one set lookup per base64url run of the output, however many tokens were minted
  private readonly signatures = new Set<string>()
  private readonly literals = new Set<string>()
  private readonly output: Array<string> = []

  /** Registers a value that must never appear in the service's output; returns it. */
  secret<S extends string>(value: S): S {
    const parts = value.split(".")
    if (parts.length === 3 && parts[2]!.length >= 40) this.signatures.add(parts[2]!)
    else if (value.length >= 8) this.literals.add(value)
    return value
  }

  /** Records text the service wrote (a rendered log line, a child process's output). */
  record(text: string): void {
    this.output.push(text)
  }

  /**
   * The registered secrets found in what was recorded since the last call,
   * shortened so that a report does not leak them either. What was read is
   * let go: test files share a worker, and each is charged with its own output.
   */
  takeLeaks(): Array<string> {
    const found = new Set<string>()
    for (const text of this.output) {
      for (const value of this.literals) if (text.includes(value)) found.add(value)
      for (const run of text.matchAll(/[A-Za-z0-9_-]{40,}/g)) {
        if (this.signatures.has(run[0])) found.add(`a token signed ${run[0]}`)
      }
    }
    this.output.length = 0
    return [...found].map((value) => `${value.slice(0, 20)}…`)
  }
}

/** The registry of the worker's test files (they share its modules: `vitest.config.ts`), checked after each file. */
export const registry = new SecretRegistry()

/** Registers a secret with the registry. */
export const secret = <S extends string>(value: S): S => registry.secret(value)

/**
 * A logger that renders each line as production does (`Logger.jsonLogger`)
 * and records it. Rendering the way production does also means that a line the
 * JSON logger cannot render fails here as it would there.
 */
export const capturingLogger: Logger.Logger<unknown, void> = Logger.map(Logger.jsonLogger, (line) => registry.record(line))
