import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { ValidationRule } from "../../../src/protocol/Quality.js"
import {
  ALL_RULES,
  DEFAULT_MAX_LENGTH,
  validateResponse,
  ValidationResult
} from "../../../src/agent/quality/ResponseValidation.js"

const rulesOf = (content: string, options: Parameters<typeof validateResponse>[1] = {}) =>
  validateResponse(content, options).issues.map((issue) => issue.rule)

const FENCE = "```"

describe("validateResponse", () => {
  it("accepts ordinary text", () => {
    expect(validateResponse("Paris is the capital of France.", { bannedPhrases: ["as an AI"] })).toEqual({
      valid: true,
      issues: []
    })
  })

  describe("empty", () => {
    it("flags empty and whitespace-only content", () => {
      for (const content of ["", " ", "\n\t  \r\n", "\u00A0\u200B\uFEFF"]) {
        const result = validateResponse(content)
        expect(result.valid).toBe(false)
        expect(result.issues).toHaveLength(1)
        expect(result.issues[0]!.rule).toBe("empty")
      }
    })

    it("accepts any visible character", () => {
      expect(rulesOf(" . ")).toEqual([])
      expect(rulesOf("0")).toEqual([])
    })
  })

  describe("max_length", () => {
    it(`defaults to ${DEFAULT_MAX_LENGTH}`, () => {
      expect(rulesOf("a".repeat(DEFAULT_MAX_LENGTH))).toEqual([])
      const result = validateResponse("a".repeat(DEFAULT_MAX_LENGTH + 1))
      expect(result.issues.map((i) => i.rule)).toEqual(["max_length"])
      expect(result.issues[0]!.message).toContain("32000")
    })

    it("honours a custom maxLength", () => {
      expect(rulesOf("hello", { maxLength: 5 })).toEqual([])
      expect(rulesOf("hello!", { maxLength: 5 })).toEqual(["max_length"])
    })
  })

  describe("unbalanced_code_fence", () => {
    it("accepts balanced fences, several blocks, inline triple backticks and no fences", () => {
      const balanced = [
        `Here:\n${FENCE}ts\nconst x = 1\n${FENCE}\nDone.`,
        `${FENCE}py\nprint(1)\n${FENCE}\n\ntext\n\n${FENCE}\nplain\n${FENCE}`,
        `Use ${FENCE}x${FENCE} inline.`,
        "single `backticks` and ``double`` are fine",
        `\`\`\`\`md\n${FENCE}js\nnested\n${FENCE}\n\`\`\`\``
      ]
      for (const content of balanced) expect(rulesOf(content)).toEqual([])
    })

    it("flags an unclosed fence and names its line", () => {
      const result = validateResponse(`Intro\n${FENCE}python\nprint("hi")\n`)
      expect(result.valid).toBe(false)
      expect(result.issues).toEqual([{ rule: "unbalanced_code_fence", message: expect.stringContaining("line 2") }])
    })

    it("flags an odd number of fences", () => {
      expect(rulesOf(`${FENCE}a${FENCE}\n${FENCE}\nb\n${FENCE}\n${FENCE}`)).toEqual(["unbalanced_code_fence"])
    })
  })

  describe("leaked_credential", () => {
    const secrets: ReadonlyArray<readonly [string, string]> = [
      ["OpenAI key", "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD"],
      ["OpenAI project key", "sk-proj-Ab3dEfGh1jKlMnOpQrStUvWx_yz-0123456789"],
      ["OpenAI key, 20 chars", "sk-aaaaaaaaaaaaaaaaaaaa"],
      ["AWS access key id", "AKIAIOSFODNN7EXAMPLE"],
      ["GitHub token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"],
      ["GitHub fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"],
      ["Slack bot token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"],
      ["Slack user token", "xoxp-1234567890-abcdef"],
      ["RSA private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----"],
      ["PKCS8 private key", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"],
      ["OpenSSH private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----"],
      [
        "JWT",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
      ]
    ]

    for (const [name, secret] of secrets) {
      it(`flags a ${name}, inside text, without repeating it`, () => {
        const result = validateResponse(`Sure! Use this: ${secret} and you're done.`)
        expect(result.valid).toBe(false)
        expect(result.issues.map((i) => i.rule)).toEqual(["leaked_credential"])
        const message = result.issues[0]!.message
        if (!secret.startsWith("-----")) expect(message).not.toContain(secret.slice(0, 12))
      })
    }

    it("reports each kind once, with a count of occurrences", () => {
      const result = validateResponse("AKIAIOSFODNN7EXAMPLE and AKIAJ1234567890ABCDE and ghp_abcdefghijklmnopqrstuvwxyz0123456789")
      expect(result.issues).toHaveLength(2)
      expect(result.issues[0]!.message).toContain("AWS")
      expect(result.issues[0]!.message).toContain("2 occurrences")
      expect(result.issues[1]!.message).toContain("GitHub")
    })

    it("does not flag ordinary text about keys, tokens and secrets", () => {
      const ordinary = [
        "Set your API key in the settings page; never share your secret key.",
        "The key: value pairs are stored in a map. Press any key to continue.",
        "OpenAI keys start with sk- followed by a long random string.",
        "We use scikit-learn (sk-learn) and sk-learn-compatible-estimators-for-pipelines.",
        "Our risk-assessment-of-the-whole-project-plan is ready; see task-abcdefghijklmnopqrstuvwxyz.",
        "GitHub tokens look like ghp_ followed by 36 characters.",
        "AWS key ids begin with AKIA; AKIA1234 is too short.",
        "Slack tokens have the prefixes xoxb- and xoxp-.",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----",
        "A JWT starts with eyJ because it is base64 of {\". E.g. eyJhbGciOiJIUzI1NiJ9 is just a header.",
        "Versions 1.2.3 and file.name.ext are fine, as is a.b.c.",
        "A private key must be kept private."
      ]
      for (const content of ordinary) expect(validateResponse(content)).toEqual({ valid: true, issues: [] })
    })
  })

  describe("banned_phrase", () => {
    it("matches case-insensitively and across whitespace, naming the phrase", () => {
      const result = validateResponse("As an  AI\nLanguage Model, I cannot do that.", {
        bannedPhrases: ["as an AI language model", "I cannot", "unrelated"]
      })
      expect(result.valid).toBe(false)
      expect(result.issues).toEqual([
        { rule: "banned_phrase", message: expect.stringContaining("\"as an AI language model\"") },
        { rule: "banned_phrase", message: expect.stringContaining("\"I cannot\"") }
      ])
    })

    it("ignores empty phrases and reports duplicates once", () => {
      expect(rulesOf("hello world", { bannedPhrases: ["", "  "] })).toEqual([])
      expect(rulesOf("hello world", { bannedPhrases: ["Hello", "hello", "HELLO "] })).toEqual(["banned_phrase"])
    })

    it("does nothing without banned phrases", () => {
      expect(rulesOf("as an AI language model")).toEqual([])
    })
  })

  describe("rules", () => {
    const bad = `${FENCE}\nAKIAIOSFODNN7EXAMPLE lorem`

    it("runs every rule by default, issues in rule order", () => {
      expect(rulesOf(bad, { maxLength: 10, bannedPhrases: ["lorem"] })).toEqual([
        "max_length",
        "unbalanced_code_fence",
        "leaked_credential",
        "banned_phrase"
      ])
    })

    it("runs only the selected subset, whatever its order", () => {
      expect(rulesOf(bad, { maxLength: 10, bannedPhrases: ["lorem"], rules: ["banned_phrase", "max_length"] }))
        .toEqual(["max_length", "banned_phrase"])
      expect(rulesOf("", { rules: ["max_length"] })).toEqual([])
      expect(validateResponse(bad, { maxLength: 1, rules: [] })).toEqual({ valid: true, issues: [] })
    })

    it("ValidationRule decodes a payload's rule names and rejects others", () => {
      const decode = Schema.decodeUnknownEither(Schema.Array(ValidationRule))
      expect(decode(["empty", "leaked_credential"])).toEqual(Either.right(["empty", "leaked_credential"]))
      expect(Either.isLeft(decode(["empty", "spelling"]))).toBe(true)
      expect(ALL_RULES).toEqual(["empty", "max_length", "unbalanced_code_fence", "leaked_credential", "banned_phrase"])
    })
  })

  it.prop(
    "valid iff no issues; issues only from selected rules; the result matches its schema",
    {
      content: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: fc.constantFrom("`", "\n", " ", "a") })),
      rules: fc.subarray([...ALL_RULES]),
      banned: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 })
    },
    ({ banned, content, rules }) => {
      const result = validateResponse(content, { rules, bannedPhrases: banned, maxLength: 100 })
      expect(result.valid).toBe(result.issues.length === 0)
      for (const issue of result.issues) expect(rules).toContain(issue.rule)
      expect(Schema.is(ValidationResult)(result)).toBe(true)
      const fences = content.match(/`{3,}/g)?.length ?? 0
      expect(result.issues.some((i) => i.rule === "unbalanced_code_fence")).toBe(
        rules.includes("unbalanced_code_fence") && fences % 2 === 1
      )
    }
  )
})
