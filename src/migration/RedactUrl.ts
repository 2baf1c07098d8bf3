/**
 * URLs fit for a log line: a backend URL may carry credentials
 * (`http://user:pw@host`) and secrets in its query (`?key=…`), and error
 * messages of HTTP clients quote the URL they failed on. Only the scheme,
 * host, port and path survive.
 *
 * @since 0.1.0
 */

const REDACTED = "***"

/**
 * One URL without its credentials, query and fragment
 * (`http://***:***@host/x?***`); text that is not a URL becomes `<url>`.
 *
 * @since 0.1.0
 */
export const redactUrl = (url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return "<url>"
  }
  const credentials = parsed.username !== "" || parsed.password !== "" ? `${REDACTED}:${REDACTED}@` : ""
  const query = parsed.search !== "" ? `?${REDACTED}` : ""
  const fragment = parsed.hash !== "" ? `#${REDACTED}` : ""
  return `${parsed.protocol}//${credentials}${parsed.host}${parsed.pathname}${query}${fragment}`
}

/** `scheme://` up to the next blank, quote or bracket: what error messages quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()[\]{}]+/gi

/**
 * Free text (an error message) with every URL in it redacted, and every
 * occurrence of the `secrets` given (e.g. the backend URL's password, which a
 * client might quote without the URL around it) replaced. Linear in the text.
 *
 * @since 0.1.0
 */
export const redactText = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text.replace(URL_IN_TEXT, redactUrl)
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join(REDACTED)
  }
  return out
}

/**
 * The parts of `url` that must never appear in a log line or a client's
 * error: its user, password and query string (decoded and raw).
 *
 * @since 0.1.0
 */
export const secretsOf = (url: string): ReadonlyArray<string> => {
  try {
    const parsed = new URL(url)
    const parts = [parsed.username, parsed.password, parsed.search.slice(1)]
    for (const [, value] of parsed.searchParams) parts.push(value)
    const decoded = parts.flatMap((part) => {
      try {
        return [part, decodeURIComponent(part)]
      } catch {
        return [part]
      }
    })
    return Array.from(new Set(decoded.filter((part) => part.length > 0)))
  } catch {
    return [url]
  }
}
