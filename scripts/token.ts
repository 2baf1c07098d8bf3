/**
 * Mints a development token:
 *
 *   npm run token -- <user> [--admin] [--ttl <seconds>] [--secret <secret>]
 *
 * Signs with `--secret`, else `JWT_SECRET`, else the public development secret
 * (with a warning on stderr). Prints only the token on stdout, so that
 * `TOKEN=$(npm run -s token -- alice)` works.
 */
import { parseArgs } from "node:util"
import { DEVELOPMENT_SECRET, sign } from "../src/transport/Jwt.js"

const USAGE = `usage: npm run token -- <user> [--admin] [--ttl <seconds>] [--secret <secret>]

  <user>            the token's subject (sub)
  --admin           add the "admin" role
  --ttl <seconds>   lifetime in seconds (default 86400, 24h)
  --secret <secret> signing secret (default: $JWT_SECRET, else the development secret)`

const DEFAULT_TTL_SECONDS = 24 * 60 * 60

const usage = (problem: string): never => {
  process.stderr.write(`token: ${problem}\n${USAGE}\n`)
  process.exit(2)
}

const parse = () => {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      strict: true,
      options: {
        admin: { type: "boolean", default: false },
        ttl: { type: "string" },
        secret: { type: "string" },
        help: { type: "boolean", short: "h", default: false }
      }
    })
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error))
  }
}

const { positionals, values } = parse()
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (positionals.length !== 1 || positionals[0]!.trim() === "") usage("expected exactly one <user>")
const user = positionals[0]!

const ttl = values.ttl === undefined ? DEFAULT_TTL_SECONDS : Number(values.ttl)
if (!Number.isSafeInteger(ttl) || ttl <= 0) usage(`--ttl must be a positive whole number of seconds, got "${values.ttl}"`)

if (values.secret === "") usage("--secret must not be empty")
const secret = values.secret ?? (process.env["JWT_SECRET"] || undefined)
if (secret === undefined) {
  process.stderr.write("token: JWT_SECRET is not set, signing with the DEVELOPMENT secret (dev servers only)\n")
}

const now = Math.floor(Date.now() / 1000)
const token = sign(
  { sub: user, roles: values.admin ? ["admin"] : [], iat: now, exp: now + ttl },
  secret ?? DEVELOPMENT_SECRET
)
process.stdout.write(`${token}\n`)
