import type { ScenarioSummary } from "./report.js"

/** A figure for the table: about 3 significant digits, thousands grouped; "–" for none. */
export const formatFigure = (value: number | null | undefined): string => {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–"
  const abs = Math.abs(value)
  if (abs >= 100) return Math.round(value).toLocaleString("en-US")
  if (abs >= 10) return value.toFixed(1)
  if (abs === 0) return "0"
  if (abs >= 0.001) return value.toPrecision(3)
  return value.toExponential(2)
}

export const formatRatio = (value: number | null | undefined): string =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`

/** The results table: one row per scenario and metric, medians of the repetitions. */
export const formatTable = (summaries: ReadonlyArray<ScenarioSummary>, labels: readonly [string, string]): string => {
  const header = ["scenario", "metric", labels[0], labels[1], `${labels[1]}/${labels[0]}`]
  const rows: Array<ReadonlyArray<string>> = []
  for (const summary of summaries) {
    const names = Object.keys({ ...summary.baseline.median, ...summary.service.median })
    names.forEach((name, i) => {
      rows.push([
        i === 0 ? summary.scenario : "",
        name,
        formatFigure(summary.baseline.median[name]),
        formatFigure(summary.service.median[name]),
        formatRatio(summary.ratio[name])
      ])
    })
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  const line = (cells: ReadonlyArray<string>): string =>
    cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}
