import { Effect, Metric, MetricKeyType, MetricState, Option } from "effect";
const contentType = "text/plain; version=0.0.4; charset=utf-8";
const frequencyLabel = "key";
const metricName = (name) => {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return cleaned === "" ? "_" : /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
};
const labelName = (name) => {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, "_");
  if (cleaned === "") return "_";
  if (/^[0-9]/.test(cleaned)) return `_${cleaned}`;
  return cleaned.startsWith("__") ? `exported${cleaned}` : cleaned;
};
const escapeLabelValue = (value) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (help) => help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const formatNumber = (value) => {
  if (typeof value === "bigint") return value.toString();
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
};
const renderLabels = (labels) => labels.length === 0 ? "" : `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
const compare = (a, b) => a < b ? -1 : a > b ? 1 : 0;
const normalizeLabels = (tags, reserved) => {
  const byName = /* @__PURE__ */ new Map();
  for (const tag of tags) {
    const name = labelName(tag.key);
    byName.set(reserved.includes(name) ? `exported_${name}` : name, tag.value);
  }
  return [...byName].sort(([a], [b]) => compare(a, b));
};
const addValues = (a, b) => typeof a === "bigint" && typeof b === "bigint" ? a + b : Number(a) + Number(b);
const addSeries = (family, labels, data) => {
  const id = renderLabels(labels);
  const existing = family.series.get(id);
  if (existing === void 0) {
    family.series.set(id, { labels, data });
  } else if (family.kind === "counter" && existing.data._tag === "Scalar" && data._tag === "Scalar") {
    existing.data = { _tag: "Scalar", value: addValues(existing.data.value, data.value) };
  }
};
const renderSeries = (name, series) => {
  const { data, labels } = series;
  switch (data._tag) {
    case "Scalar":
      return [`${name}${renderLabels(labels)} ${formatNumber(data.value)}`];
    case "Histogram": {
      const lines = [];
      const seen = /* @__PURE__ */ new Set();
      for (const [boundary, cumulative] of data.buckets) {
        if (Number.isNaN(boundary) || boundary === Infinity) continue;
        const le = formatNumber(boundary);
        if (seen.has(le)) continue;
        seen.add(le);
        lines.push(`${name}_bucket${renderLabels([...labels, ["le", le]])} ${formatNumber(cumulative)}`);
      }
      lines.push(`${name}_bucket${renderLabels([...labels, ["le", "+Inf"]])} ${formatNumber(data.count)}`);
      lines.push(`${name}_sum${renderLabels(labels)} ${formatNumber(data.sum)}`);
      lines.push(`${name}_count${renderLabels(labels)} ${formatNumber(data.count)}`);
      return lines;
    }
    case "Summary": {
      const quantiles = [...data.quantiles].sort(([a], [b]) => a - b);
      return [
        ...quantiles.map(
          ([quantile, value]) => `${name}${renderLabels([...labels, ["quantile", formatNumber(quantile)]])} ${formatNumber(Option.getOrElse(value, () => NaN))}`
        ),
        `${name}_sum${renderLabels(labels)} ${formatNumber(data.sum)}`,
        `${name}_count${renderLabels(labels)} ${formatNumber(data.count)}`
      ];
    }
  }
};
const render = (pairs) => {
  const families = /* @__PURE__ */ new Map();
  const familyFor = (rawName, kind, description) => {
    const name = metricName(rawName);
    const existing = families.get(name);
    if (existing !== void 0) {
      if (existing.kind !== kind) return void 0;
      if (existing.help === void 0 && Option.isSome(description)) existing.help = description.value;
      return existing;
    }
    const family = { name, kind, help: Option.getOrUndefined(description), series: /* @__PURE__ */ new Map() };
    families.set(name, family);
    return family;
  };
  for (const { metricKey: key, metricState: state } of pairs) {
    if (MetricState.isCounterState(state)) {
      const incremental = MetricKeyType.isCounterKey(key.keyType) && key.keyType.incremental;
      const family = familyFor(key.name, incremental ? "counter" : "gauge", key.description);
      if (family) addSeries(family, normalizeLabels(key.tags, []), { _tag: "Scalar", value: state.count });
    } else if (MetricState.isGaugeState(state)) {
      const family = familyFor(key.name, "gauge", key.description);
      if (family) addSeries(family, normalizeLabels(key.tags, []), { _tag: "Scalar", value: state.value });
    } else if (MetricState.isFrequencyState(state)) {
      const family = familyFor(key.name, "counter", key.description);
      if (family) {
        const labels = normalizeLabels(key.tags, [frequencyLabel]);
        for (const [word, count] of state.occurrences) {
          const withWord = [...labels, [frequencyLabel, word]].sort(([a], [b]) => compare(a, b));
          addSeries(family, withWord, { _tag: "Scalar", value: count });
        }
      }
    } else if (MetricState.isHistogramState(state)) {
      const family = familyFor(key.name, "histogram", key.description);
      if (family) {
        addSeries(family, normalizeLabels(key.tags, ["le"]), {
          _tag: "Histogram",
          buckets: state.buckets,
          count: state.count,
          sum: state.sum
        });
      }
    } else if (MetricState.isSummaryState(state)) {
      const family = familyFor(key.name, "summary", key.description);
      if (family) {
        addSeries(family, normalizeLabels(key.tags, ["quantile"]), {
          _tag: "Summary",
          quantiles: state.quantiles,
          count: state.count,
          sum: state.sum
        });
      }
    }
  }
  const lines = [];
  for (const family of [...families.values()].sort((a, b) => compare(a.name, b.name))) {
    if (family.help !== void 0) lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.kind}`);
    const series = [...family.series].sort(([a], [b]) => compare(a, b));
    for (const [, one] of series) lines.push(...renderSeries(family.name, one));
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}
`;
};
const snapshot = Effect.map(Metric.snapshot, render);
export {
  contentType,
  render,
  snapshot
};
//# sourceMappingURL=Prometheus.js.map
