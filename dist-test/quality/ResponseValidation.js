import { Schema } from "effect";
const ValidationRule = Schema.Literal(
  "empty",
  "max_length",
  "unbalanced_code_fence",
  "leaked_credential",
  "banned_phrase"
);
const ALL_RULES = ValidationRule.literals;
const DEFAULT_MAX_LENGTH = 32e3;
const ValidationIssue = Schema.Struct({
  rule: ValidationRule,
  message: Schema.String
});
const ValidationResult = Schema.Struct({
  valid: Schema.Boolean,
  issues: Schema.Array(ValidationIssue)
});
const validateResponse = (content, options = {}) => {
  const selected = new Set(options.rules ?? ALL_RULES);
  const issues = [];
  for (const rule of ALL_RULES) {
    if (!selected.has(rule)) continue;
    for (const message of check(rule, content, options)) issues.push({ rule, message });
  }
  return { valid: issues.length === 0, issues };
};
const check = (rule, content, options) => {
  switch (rule) {
    case "empty":
      return checkEmpty(content);
    case "max_length":
      return checkMaxLength(content, options.maxLength ?? DEFAULT_MAX_LENGTH);
    case "unbalanced_code_fence":
      return checkCodeFences(content);
    case "leaked_credential":
      return checkCredentials(content);
    case "banned_phrase":
      return checkBannedPhrases(content, options.bannedPhrases ?? []);
  }
};
const BLANK = /^[\s\u200B-\u200D\u2060]*$/u;
const checkEmpty = (content) => content.length === 0 ? ["response is empty"] : BLANK.test(content) ? ["response is blank (whitespace only)"] : [];
const checkMaxLength = (content, maxLength) => content.length > maxLength ? [`response is ${content.length} characters long; the maximum is ${maxLength}`] : [];
const FENCE = /`{3,}/g;
const checkCodeFences = (content) => {
  let count = 0;
  let lastIndex = 0;
  for (const match of content.matchAll(FENCE)) {
    count++;
    lastIndex = match.index;
  }
  if (count % 2 === 0) return [];
  const line = lineOf(content, lastIndex);
  return [`${count} code fences (\`\`\`) found: the one on line ${line} is never closed`];
};
const lineOf = (content, index) => {
  let line = 1;
  for (let i = 0; i < index; i++) if (content.charCodeAt(i) === 10) line++;
  return line;
};
const CREDENTIAL_PATTERNS = [
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
    reveal: Number.POSITIVE_INFINITY
    // the header itself is not secret
  },
  {
    kind: "a JWT",
    regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    reveal: 3
  }
];
const checkCredentials = (content) => {
  const messages = [];
  for (const pattern of CREDENTIAL_PATTERNS) {
    const found = [];
    for (const match of content.matchAll(pattern.regex)) {
      if (pattern.accept === void 0 || pattern.accept(match[0])) found.push(match[0]);
    }
    const first = found[0];
    if (first === void 0) continue;
    const shown = first.length <= pattern.reveal ? first : `${first.slice(0, pattern.reveal)}\u2026`;
    const times = found.length === 1 ? "" : ` (${found.length} occurrences)`;
    messages.push(`contains what looks like ${pattern.kind}: ${shown}${times}`);
  }
  return messages;
};
const normalize = (text) => text.toLowerCase().replace(/\s+/gu, " ").trim();
const checkBannedPhrases = (content, phrases) => {
  const haystack = normalize(content);
  const seen = /* @__PURE__ */ new Set();
  const messages = [];
  for (const phrase of phrases) {
    const needle = normalize(phrase);
    if (needle.length === 0 || seen.has(needle)) continue;
    seen.add(needle);
    if (haystack.includes(needle)) messages.push(`contains the banned phrase "${phrase.trim()}"`);
  }
  return messages;
};
export {
  ALL_RULES,
  CREDENTIAL_PATTERNS,
  DEFAULT_MAX_LENGTH,
  ValidationIssue,
  ValidationResult,
  ValidationRule,
  validateResponse
};
//# sourceMappingURL=ResponseValidation.js.map
