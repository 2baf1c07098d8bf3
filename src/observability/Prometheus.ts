import { Effect, Metric, MetricKeyType, type MetricPair, MetricState, Option } from "effect"

/**
 * Renders effect `Metric` snapshots in the Prometheus text exposition format
 * 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
 *
 * Mapping from effect metrics:
 * - an incremental counter is a `counter` (a counter that may be decremented is
 *   a `gauge`, since a Prometheus counter that goes down reads as a reset);
 * - a gauge is a `gauge`;
 * - a histogram is a `histogram`: effect's buckets are already cumulative, and
 *   the `+Inf` bucket is the observation count;
 * - a summary is a `summary` (a quantile with no value yet is `NaN`);
 * - a frequency is a `counter` with one series per observed value, the value in
 *   the `key` label.
 *
 * All series of one name form one family (one `# HELP`, one `# TYPE`). Families
 * are sorted by name and series by their label string, so equal snapshots render
 * to equal text. Names that break the grammar are sanitized; a label that would
 * clash with a label the format reserves (`le`, `quantile`, the frequency's
 * `key`) is renamed `exported_<name>`. Where two effect metrics land on the same
 * name with different kinds, the first one in the snapshot keeps the family and
 * the others are left out; where they land on the same name and labels, counter
 * values are added and otherwise the first one wins.
 */

/** The `Content-Type` of the text this module renders. */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

type Kind = "counter" | "gauge" | "histogram" | "summary"

type Labels = ReadonlyArray<readonly [name: string, value: string]>

type Data =
  | { readonly _tag: "Scalar"; readonly value: number | bigint }
  | {
    readonly _tag: "Histogram"
    readonly buckets: ReadonlyArray<readonly [number, number]>
    readonly count: number
    readonly sum: number
  }
  | {
    readonly _tag: "Summary"
    readonly quantiles: ReadonlyArray<readonly [number, Option.Option<number>]>
    readonly count: number
    readonly sum: number
  }

interface Series {
  readonly labels: Labels
  data: Data
}

interface Family {
  readonly name: string
  readonly kind: Kind
  help: string | undefined
  readonly series: Map<string, Series>
}

/** The label a frequency's observed value goes in. */
const frequencyLabel = "key"

/** Sanitizes a metric name to `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
const metricName = (name: string): string => {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return cleaned === "" ? "_" : /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned
}

/** Sanitizes a label name to `[a-zA-Z_][a-zA-Z0-9_]*`, keeping clear of the reserved `__` prefix. */
const labelName = (name: string): string => {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, "_")
  if (cleaned === "") return "_"
  if (/^[0-9]/.test(cleaned)) return `_${cleaned}`
  return cleaned.startsWith("__") ? `exported${cleaned}` : cleaned
}

const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

const escapeHelp = (help: string): string => help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** A sample value (or `le`/`quantile`) as Prometheus spells it: `1`, `0.25`, `+Inf`, `-Inf`, `NaN`. */
const formatNumber = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Infinity) return "+Inf"
  if (value === -Infinity) return "-Inf"
  return String(value)
}

const renderLabels = (labels: Labels): string =>
  labels.length === 0
    ? ""
    : `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`

/** Ordinal string order: unlike `localeCompare`, the same on every host. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The key's tags as sanitized labels, sorted by name; a later tag overrides an
 * earlier one of the same name, and `reserved` names are renamed.
 */
const normalizeLabels = (
  tags: ReadonlyArray<{ readonly key: string; readonly value: string }>,
  reserved: ReadonlyArray<string>
): Array<readonly [string, string]> => {
  const byName = new Map<string, string>()
  for (const tag of tags) {
    const name = labelName(tag.key)
    byName.set(reserved.includes(name) ? `exported_${name}` : name, tag.value)
  }
  return [...byName].sort(([a], [b]) => compare(a, b))
}

const addValues = (a: number | bigint, b: number | bigint): number | bigint =>
  typeof a === "bigint" && typeof b === "bigint" ? a + b : Number(a) + Number(b)

/** Adds a series to its family: counters of equal labels are summed, otherwise the first one stays. */
const addSeries = (family: Family, labels: Labels, data: Data): void => {
  const id = renderLabels(labels)
  const existing = family.series.get(id)
  if (existing === undefined) {
    family.series.set(id, { labels, data })
  } else if (family.kind === "counter" && existing.data._tag === "Scalar" && data._tag === "Scalar") {
    existing.data = { _tag: "Scalar", value: addValues(existing.data.value, data.value) }
  }
}

const renderSeries = (name: string, series: Series): Array<string> => {
  const { data, labels } = series
  switch (data._tag) {
    case "Scalar":
      return [`${name}${renderLabels(labels)} ${formatNumber(data.value)}`]
    case "Histogram": {
      const lines: Array<string> = []
      const seen = new Set<string>()
      // effect's buckets are sorted and cumulative; the last boundary is +Inf
      for (const [boundary, cumulative] of data.buckets) {
        if (Number.isNaN(boundary) || boundary === Infinity) continue
        const le = formatNumber(boundary)
        if (seen.has(le)) continue
        seen.add(le)
        lines.push(`${name}_bucket${renderLabels([...labels, ["le", le]])} ${formatNumber(cumulative)}`)
      }
      lines.push(`${name}_bucket${renderLabels([...labels, ["le", "+Inf"]])} ${formatNumber(data.count)}`)
      lines.push(`${name}_sum${renderLabels(labels)} ${formatNumber(data.sum)}`)
      lines.push(`${name}_count${renderLabels(labels)} ${formatNumber(data.count)}`)
      return lines
    }
    case "Summary": {
      const quantiles = [...data.quantiles].sort(([a], [b]) => a - b)
      return [
        ...quantiles.map(([quantile, value]) =>
          `${name}${renderLabels([...labels, ["quantile", formatNumber(quantile)]])} ${
            formatNumber(Option.getOrElse(value, () => NaN))
          }`
        ),
        `${name}_sum${renderLabels(labels)} ${formatNumber(data.sum)}`,
        `${name}_count${renderLabels(labels)} ${formatNumber(data.count)}`
      ]
    }
  }
}

/**
 * Renders metric pairs (as `Metric.snapshot` returns them) as Prometheus text
 * exposition format 0.0.4. A family gets a `# HELP` line when its metric has a
 * description. The result ends in a newline unless it is empty.
 */
export const render = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  const familyFor = (rawName: string, kind: Kind, description: Option.Option<string>): Family | undefined => {
    const name = metricName(rawName)
    const existing = families.get(name)
    if (existing !== undefined) {
      if (existing.kind !== kind) return undefined
      if (existing.help === undefined && Option.isSome(description)) existing.help = description.value
      return existing
    }
    const family: Family = { name, kind, help: Option.getOrUndefined(description), series: new Map() }
    families.set(name, family)
    return family
  }

  for (const { metricKey: key, metricState: state } of pairs) {
    if (MetricState.isCounterState(state)) {
      const incremental = MetricKeyType.isCounterKey(key.keyType) && key.keyType.incremental
      const family = familyFor(key.name, incremental ? "counter" : "gauge", key.description)
      if (family) addSeries(family, normalizeLabels(key.tags, []), { _tag: "Scalar", value: state.count })
    } else if (MetricState.isGaugeState(state)) {
      const family = familyFor(key.name, "gauge", key.description)
      if (family) addSeries(family, normalizeLabels(key.tags, []), { _tag: "Scalar", value: state.value })
    } else if (MetricState.isFrequencyState(state)) {
      const family = familyFor(key.name, "counter", key.description)
      if (family) {
        const labels = normalizeLabels(key.tags, [frequencyLabel])
        for (const [word, count] of state.occurrences) {
          const withWord = [...labels, [frequencyLabel, word] as const].sort(([a], [b]) => compare(a, b))
          addSeries(family, withWord, { _tag: "Scalar", value: count })
        }
      }
    } else if (MetricState.isHistogramState(state)) {
      const family = familyFor(key.name, "histogram", key.description)
      if (family) {
        addSeries(family, normalizeLabels(key.tags, ["le"]), {
          _tag: "Histogram",
          buckets: state.buckets,
          count: state.count,
          sum: state.sum
        })
      }
    } else if (MetricState.isSummaryState(state)) {
      const family = familyFor(key.name, "summary", key.description)
      if (family) {
        addSeries(family, normalizeLabels(key.tags, ["quantile"]), {
          _tag: "Summary",
          quantiles: state.quantiles,
          count: state.count,
          sum: state.sum
        })
      }
    }
  }

  const lines: Array<string> = []
  for (const family of [...families.values()].sort((a, b) => compare(a.name, b.name))) {
    if (family.help !== undefined) lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`)
    lines.push(`# TYPE ${family.name} ${family.kind}`)
    const series = [...family.series].sort(([a], [b]) => compare(a, b))
    for (const [, one] of series) lines.push(...renderSeries(family.name, one))
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`
}

/** The current value of every metric in the global registry, rendered with `render`. */
export const snapshot: Effect.Effect<string> = Effect.map(Metric.snapshot, render)
