// `npm start`: compiles src/ to plain JavaScript and runs it in this process.
//
// Why not `tsx src/main.ts`: tsx keeps a loader thread and esbuild in the
// process (~80 MiB of RSS) and names every closure it compiles (a call per
// closure made on the frame path). esbuild here only strips types (in well
// under a second; `npm run typecheck` is what checks them) and bundles
// main.ts with what it uses of `effect` and `@effect/*`, which is what runs.
//
// The output goes to dist/<hash of the sources>/, built under a temporary
// name and renamed into place, so that processes starting at once (tests,
// the bench) share one build and never read a half-written one.
import { createHash } from "node:crypto"
import { createRequire } from "node:module"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { basename, dirname, join, relative } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { setFlagsFromString } from "node:v8"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
/** from the bundle's import until the service is listening: start-up takes well under this */
const START_UP_MS = 2000
const src = join(root, "src")
const dist = join(root, "dist")

const sources = readdirSync(src, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
  .sort()

const hash = createHash("sha256")
// this script and the compiler are part of what a build depends on
hash.update(readFileSync(fileURLToPath(import.meta.url))).update(esbuildVersion())
for (const file of sources) hash.update(relative(src, file)).update(readFileSync(file))
const out = join(dist, hash.digest("hex").slice(0, 16))

if (!existsSync(out)) {
  // loaded only to build: a service that starts from a build it already has never holds it
  const { build, stop } = await import("esbuild")
  const staging = `${out}.${process.pid}.tmp`
  await build({
    entryPoints: sources.filter((file) => file.endsWith(".ts")),
    outdir: staging,
    outbase: src,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    logLevel: "warning"
  })
  // The process runs one bundle of main.ts with what it uses of `effect` and `@effect/*`,
  // not their whole packages: their index modules load every module of the package
  // (about 30 MiB of heap at start, most of the service's idle RSS). It sits in bundle/,
  // one folder below the root like every module, so `import.meta.url` paths hold. The
  // modules compiled one by one (above) are what the dashboard's browser bundle is made
  // from (http/DashboardScript bundles browser/DashboardChat.js and the client/ it imports).
  await build({
    entryPoints: [join(src, "main.ts")],
    outdir: join(staging, "bundle"),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    sourcemap: true,
    // found where npm installed them: esbuild runs its own binary, the others gain nothing bundled
    external: ["esbuild", "ioredis", "ws", "undici"],
    // CommonJS inside the bundle calls `require`
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // without comments and blank space the bundle is a third smaller, and loading it mostly leaves ~18 MiB
    // less of the C heap resident (node bundle/main.js, VmRSS after 10 s: 75-97 MiB, against 113-117);
    // names are kept (profiles, logs)
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: "warning"
  })
  // files the code reads at run time (the dashboard page) sit next to their module, and in the bundle's folder
  const assets = sources.filter((file) => !file.endsWith(".ts"))
  const clash = assets.find((file, i) => assets.findIndex((other) => basename(other) === basename(file)) !== i)
  if (clash !== undefined) throw new Error(`npm start: two files named ${basename(clash)} under src/ would share the bundle's folder`)
  for (const file of assets) {
    for (const target of [join(staging, relative(src, file)), join(staging, "bundle", basename(file))]) {
      mkdirSync(dirname(target), { recursive: true })
      cpSync(file, target)
    }
  }
  try {
    renameSync(staging, out)
  } catch {
    // another process got there first with the same sources
    rmSync(staging, { recursive: true, force: true })
  }
  removeStaleBuilds(out)
  // the esbuild service is a child process: not needed any more
  await stop()
}

// a running service still reads its build (the dashboard's browser bundle is made from it
// on first request): it marks the build as in use while it runs
const marker = join(out, ".running", String(process.pid))
mkdirSync(dirname(marker), { recursive: true })
writeFileSync(marker, "")
process.on("exit", () => rmSync(marker, { force: true }))

// Starting up (loading the bundle, building the layers) would grow V8's young generation to its
// largest, 16-32 MiB, much of it resident, and a service that then sits idle never shrinks it again
// (V8 shrinks it only at a collection while little is being allocated). Start-up keeps it at its
// first size; once started, it grows as the load needs (2: V8's default, `node --v8-options`).
setFlagsFromString("--semi-space-growth-factor=1")
await import(pathToFileURL(join(out, "bundle", "main.js")).href)
setTimeout(() => setFlagsFromString("--semi-space-growth-factor=2"), START_UP_MS).unref()

/** esbuild's version, read from its package.json: the compiler is part of what a build depends on */
function esbuildVersion() {
  const require = createRequire(import.meta.url)
  return JSON.parse(readFileSync(require.resolve("esbuild/package.json"), "utf8")).version
}

// builds of older sources, left by earlier starts, that no running process uses; a recent one may still be starting up
function removeStaleBuilds(current) {
  const hourAgo = Date.now() - 60 * 60 * 1000
  for (const name of readdirSync(dist)) {
    const path = join(dist, name)
    if (path !== current && statSync(path).mtimeMs < hourAgo && !inUse(path)) rmSync(path, { recursive: true, force: true })
  }
}

function inUse(build) {
  const running = join(build, ".running")
  if (!existsSync(running)) return false
  return readdirSync(running).some((pid) => {
    try {
      process.kill(Number(pid), 0)
      return true
    } catch (error) {
      // EPERM: alive, someone else's
      return error.code === "EPERM"
    }
  })
}
