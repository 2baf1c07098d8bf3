import { build } from "esbuild"
import { basename, join } from "node:path"

/**
 * Compiles a .ts entry (and the modules it imports) into one plain
 * JavaScript file in `outDir`, `ws` left as an import. The baseline runs
 * compiled, as `npm start` runs the service (`scripts/start.mjs`), so neither
 * pays for a TypeScript loader in the figures. The rest is bundled and
 * tree-shaken: the baseline verifies tokens with the service's own JWT module,
 * and loading all of `effect` for its `Either` would add ~30 MiB to the
 * baseline's base RSS that no raw ws server has.
 */
export const compileEntry = async (
  entry: string,
  outDir: string,
  external: ReadonlyArray<string> = ["ws"]
): Promise<string> => {
  const outfile = join(outDir, basename(entry).replace(/\.ts$/, ".mjs"))
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    external: [...external],
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning"
  })
  return outfile
}
