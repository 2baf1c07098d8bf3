import { build } from "esbuild"
import { basename, join } from "node:path"

/**
 * Compiles a .ts entry (and the modules it imports from this repo) into one
 * plain JavaScript file in `outDir`, packages left as imports. The baseline
 * runs compiled, as `npm start` runs the service (`scripts/start.mjs`), so
 * neither pays for a TypeScript loader in the figures.
 */
export const compileEntry = async (entry: string, outDir: string): Promise<string> => {
  const outfile = join(outDir, basename(entry).replace(/\.ts$/, ".mjs"))
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: "external",
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning"
  })
  return outfile
}
