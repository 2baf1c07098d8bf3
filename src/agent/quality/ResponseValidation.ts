import { type ValidationIssue, type ValidationResult, ValidationRule } from "../../protocol/Quality.js"

/** Every rule, in the order their issues are reported. */
export const ALL_RULES: ReadonlyArray<ValidationRule> = ValidationRule.literals

/** The default `maxLength`: the longest `user_message` text (PROTOCOL §4). */
export const DEFAULT_MAX_LENGTH = 32_000

/** The result of `quality_validation` and its issues: their schemas are the protocol's. */
export { ValidationIssue, ValidationResult } from "../../protocol/Quality.js"

/** How to validate: all fields optional. */
export interface ValidationOptions {
  /** the longest allowed content (default {@link DEFAULT_MAX_LENGTH}) */
  readonly maxLength?: number
  /** phrases that must not occur, matched ignoring case and whitespace runs (default none) */
  readonly bannedPhrases?: ReadonlyArray<string>
  /** the rules to run (default {@link ALL_RULES}); `[]` runs none */
  readonly rules?: ReadonlyArray<ValidationRule>
}

/**
 * Checks an AI response text against the selected rules. Issues come in
 * {@link ALL_RULES} order whatever the order of `options.rules`; a rule reports
 * at most one issue per kind of problem (one per credential kind, one per
 * banned phrase).
 */
export const validateResponse = (content: string, options: ValidationOptions = {}): ValidationResult => {
  const selected = new Set<ValidationRule>(options.rules ?? ALL_RULES)
  const issues: Array<ValidationIssue> = []
  for (const rule of ALL_RULES) {
    if (!selected.has(rule)) continue
    for (const message of check(rule, content, options)) issues.push({ rule, message })
  }
  return { valid: issues.length === 0, issues }
}

const check = (rule: ValidationRule, content: string, options: ValidationOptions): ReadonlyArray<string> => {
  switch (rule) {
    case "empty":
      return checkEmpty(content)
    case "max_length":
      return checkMaxLength(content, options.maxLength ?? DEFAULT_MAX_LENGTH)
    case "unbalanced_code_fence":
      return checkCodeFences(content)
    case "leaked_credential":
      return checkCredentials(content)
    case "banned_phrase":
      return checkBannedPhrases(content, options.bannedPhrases ?? [])
  }
}

// `\s` covers Unicode spaces and the BOM; zero-width characters render as nothing too.
const BLANK = /^[\s\u200B-\u200D\u2060]*$/u

const checkEmpty = (content: string): ReadonlyArray<string> =>
  content.length === 0
    ? ["response is empty"]
    : BLANK.test(content)
    ? ["response is blank (whitespace only)"]
    : []

const checkMaxLength = (content: string, maxLength: number): ReadonlyArray<string> =>
  content.length > maxLength
    ? [`response is ${content.length} characters long; the maximum is ${maxLength}`]
    : []

const FENCE = /`{3,}/g

const checkCodeFences = (content: string): ReadonlyArray<string> => {
  let count = 0
  let lastIndex = 0
  for (const match of content.matchAll(FENCE)) {
    count++
    lastIndex = match.index
  }
  if (count % 2 === 0) return []
  const line = lineOf(content, lastIndex)
  return [`${count} code fences (\`\`\`) found: the one on line ${line} is never closed`]
}

const lineOf = (content: string, index: number): number => {
  let line = 1
  for (let i = 0; i < index; i++) if (content.charCodeAt(i) === 10) line++
  return line
}

/** A kind of secret `leaked_credential` looks for. */
export interface CredentialPattern {
  /** what the secret is, as the issue message names it */
  readonly kind: string
  /** finds candidates; must have the `g` flag */
  readonly regex: RegExp
  /** how much of a match the message may show (a prefix that is not secret) */
  readonly reveal: number
  /** rejects look-alikes among the candidates (default: accept all) */
  readonly accept?: (match: string) => boolean
}

/**
 * The secrets `leaked_credential` recognises. Each regex is anchored on what
 * surrounds a token so that ordinary words ("risk-based", "the API key is in
 * your settings") do not match.
 */
export const CREDENTIAL_PATTERNS: ReadonlyArray<CredentialPattern> = [
  {
    kind: "an OpenAI-style API key",
    regex: /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,}/g,
    reveal: 3,
    // kebab-case words ("sk-learn-compatible-estimators") are prose, not a key
    accept: (match) => !/^sk(?:-[a-z]{1,15}){2,}$/.test(match)
  },
  {
    kind: "an AWS access key id",
    regex: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g,
    reveal: 4
  },
  {
    kind: "a GitHub token",
    regex: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{16,}|github_pat_[A-Za-z0-9_]{20,})/g,
    reveal: 4
  },
  {
    kind: "a Slack token",
    regex: /(?<![A-Za-z0-9])xox[baprs]-[A-Za-z0-9-]{10,}/g,
    reveal: 5
  },
  {
    kind: "a private key",
    regex: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g,
    reveal: Number.POSITIVE_INFINITY // the header itself is not secret
  },
  {
    kind: "a JWT",
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    reveal: 3
  }
]

const checkCredentials = (content: string): ReadonlyArray<string> => {
  const messages: Array<string> = []
  for (const pattern of CREDENTIAL_PATTERNS) {
    const found: Array<string> = []
    for (const match of content.matchAll(pattern.regex)) {
      if (pattern.accept === undefined || pattern.accept(match[0])) found.push(match[0])
    }
    const first = found[0]
    if (first === undefined) continue
    const shown = first.length <= pattern.reveal ? first : `${first.slice(0, pattern.reveal)}…`
    const times = found.length === 1 ? "" : ` (${found.length} occurrences)`
    messages.push(`contains what looks like ${pattern.kind}: ${shown}${times}`)
  }
  return messages
}

const normalize = (text: string): string => text.toLowerCase().replace(/\s+/gu, " ").trim()

const checkBannedPhrases = (content: string, phrases: ReadonlyArray<string>): ReadonlyArray<string> => {
  const haystack = normalize(content)
  const seen = new Set<string>()
  const messages: Array<string> = []
  for (const phrase of phrases) {
    const needle = normalize(phrase)
    if (needle.length === 0 || seen.has(needle)) continue
    seen.add(needle)
    if (haystack.includes(needle)) messages.push(`contains the banned phrase "${phrase.trim()}"`)
  }
  return messages
}
