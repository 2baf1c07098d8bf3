import { describe, expect, it } from "@effect/vitest"
import {
  Effect,
  FastCheck,
  Metric,
  MetricBoundaries,
  MetricKey,
  MetricPair,
  MetricState,
  Option
} from "effect"
import * as Metrics from "../../src/observability/Metrics.js"
import * as Prometheus from "../../src/observability/Prometheus.js"
import { type Exposition, type Family, parsePrometheus, PrometheusParseError } from "./parsePrometheus.js"

/** The family `name` of a parsed exposition; fails the test if it is missing. */
const familyOf = (exposition: Exposition, name: string): Family => {
  const family = exposition.families.get(name)
  if (family === undefined) throw new Error(`no family ${name} in ${[...exposition.families.keys()].join(", ")}`)
  return family
}

/** The value of the sample `name` whose labels are exactly `labels`. */
const valueOf = (family: Family, name: string, labels: Record<string, string>): number | undefined =>
  family.samples.find((s) => s.name === name && JSON.stringify(sorted(s.labels)) === JSON.stringify(sorted(labels)))
    ?.value

const sorted = (labels: Record<string, string>): Array<[string, string]> =>
  Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))

/** The lines of `text` that start with `prefix`. */
const linesOf = (text: string, prefix: string): Array<string> => text.split("\n").filter((l) => l.startsWith(prefix))

/** A scrape of the global registry, parsed (which also validates it). */
const scrape = Effect.map(Prometheus.snapshot, (text) => ({ text, parsed: parsePrometheus(text) }))

const gaugePair = (name: string, value: number, tags: ReadonlyArray<readonly [string, string]> = []) =>
  MetricPair.unsafeMake(
    tags.reduce((key, [k, v]) => MetricKey.tagged(key, k, v), MetricKey.gauge(name)),
    MetricState.gauge(value)
  )

const counterPair = (
  name: string,
  value: number,
  tags: ReadonlyArray<readonly [string, string]> = [],
  incremental = true
) =>
  MetricPair.unsafeMake(
    tags.reduce((key, [k, v]) => MetricKey.tagged(key, k, v), MetricKey.counter(name, { incremental })),
    MetricState.counter(value)
  )

describe("Prometheus", () => {
  it("declares the 0.0.4 text content type", () => {
    expect(Prometheus.contentType).toBe("text/plain; version=0.0.4; charset=utf-8")
  })

  it.effect("renders a counter incremented 3 times as 3, with its labels", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("prom_test_counter_total", {
        description: "a test counter",
        incremental: true
      }).pipe(Metric.tagged("route", "chat"), Metric.tagged("outcome", "ok"))
      yield* Metric.increment(counter)
      yield* Metric.increment(counter)
      yield* Metric.increment(counter)

      const { parsed, text } = yield* scrape
      const family = familyOf(parsed, "prom_test_counter_total")
      expect(family.type).toBe("counter")
      expect(family.help).toBe("a test counter")
      expect(family.samples).toEqual([
        { name: "prom_test_counter_total", labels: { outcome: "ok", route: "chat" }, value: 3 }
      ])
      expect(linesOf(text, "prom_test_counter_total")).toEqual([
        "prom_test_counter_total{outcome=\"ok\",route=\"chat\"} 3"
      ])
    }))

  it.effect("renders gauges, including negative, fractional and bigint values", () =>
    Effect.gen(function*() {
      const gauge = Metric.gauge("prom_test_gauge", { description: "a test gauge" })
      yield* Metric.set(Metric.tagged(gauge, "pool", "a"), 42.5)
      yield* Metric.set(Metric.tagged(gauge, "pool", "b"), -3)
      yield* Metric.set(Metric.gauge("prom_test_gauge_big", { bigint: true }), 9007199254740993n)

      const { parsed, text } = yield* scrape
      const family = familyOf(parsed, "prom_test_gauge")
      expect(family.type).toBe("gauge")
      expect(valueOf(family, "prom_test_gauge", { pool: "a" })).toBe(42.5)
      expect(valueOf(family, "prom_test_gauge", { pool: "b" })).toBe(-3)
      expect(linesOf(text, "prom_test_gauge_big ")).toEqual(["prom_test_gauge_big 9007199254740993"])
      expect(familyOf(parsed, "prom_test_gauge_big").type).toBe("gauge")
    }))

  it.effect("renders a histogram with cumulative buckets, +Inf, _sum and _count", () =>
    Effect.gen(function*() {
      const histogram = Metric.histogram(
        "prom_test_latency_seconds",
        MetricBoundaries.fromIterable([1, 2, 5]),
        "test latency"
      ).pipe(Metric.tagged("type", "chat"))
      for (const value of [0.5, 1.5, 1.5, 3, 10]) yield* Metric.update(histogram, value)

      const { parsed, text } = yield* scrape
      expect(linesOf(text, "prom_test_latency_seconds")).toEqual([
        "prom_test_latency_seconds_bucket{type=\"chat\",le=\"1\"} 1",
        "prom_test_latency_seconds_bucket{type=\"chat\",le=\"2\"} 3",
        "prom_test_latency_seconds_bucket{type=\"chat\",le=\"5\"} 4",
        "prom_test_latency_seconds_bucket{type=\"chat\",le=\"+Inf\"} 5",
        "prom_test_latency_seconds_sum{type=\"chat\"} 16.5",
        "prom_test_latency_seconds_count{type=\"chat\"} 5"
      ])
      const family = familyOf(parsed, "prom_test_latency_seconds")
      expect(family.type).toBe("histogram")
      expect(family.help).toBe("test latency")
    }))

  it.effect("round-trips label values and HELP text with quotes, backslashes and newlines", () =>
    Effect.gen(function*() {
      const tricky = "say \"hi\"\nC:\\path\\ {a=\"b\",} # é 🚀"
      const counter = Metric.counter("prom_test_tricky_total", {
        description: "line one\nline \"two\" with \\ backslash",
        incremental: true
      }).pipe(Metric.tagged("value", tricky))
      yield* Metric.increment(counter)

      const { parsed, text } = yield* scrape
      expect(text).toContain(
        "prom_test_tricky_total{value=\"say \\\"hi\\\"\\nC:\\\\path\\\\ {a=\\\"b\\\",} # é 🚀\"} 1\n"
      )
      expect(text).toContain("# HELP prom_test_tricky_total line one\\nline \"two\" with \\\\ backslash\n")
      const family = familyOf(parsed, "prom_test_tricky_total")
      expect(family.help).toBe("line one\nline \"two\" with \\ backslash")
      expect(family.samples).toEqual([{ name: "prom_test_tricky_total", labels: { value: tricky }, value: 1 }])
    }))

  it.effect("groups two tag sets of one metric under one HELP and one TYPE", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("prom_test_shared_total", { description: "shared", incremental: true })
      yield* Metric.increment(Metric.tagged(counter, "status", "b"))
      yield* Metric.increment(Metric.tagged(counter, "status", "a"))
      yield* Metric.increment(Metric.tagged(counter, "status", "a"))

      const { parsed, text } = yield* scrape
      expect(linesOf(text, "# HELP prom_test_shared_total ")).toHaveLength(1)
      expect(linesOf(text, "# TYPE prom_test_shared_total ")).toEqual(["# TYPE prom_test_shared_total counter"])
      expect(familyOf(parsed, "prom_test_shared_total").samples).toEqual([
        { name: "prom_test_shared_total", labels: { status: "a" }, value: 2 },
        { name: "prom_test_shared_total", labels: { status: "b" }, value: 1 }
      ])
    }))

  it.effect("renders the service's own metrics as valid exposition text", () =>
    Effect.gen(function*() {
      yield* Metric.set(Metrics.connectionsOpen, 2)
      yield* Metric.set(Metrics.usersActive, 1)
      const frames = Metrics.framesTotal.pipe(Metric.tagged("type", "chat"))
      yield* Metric.increment(Metric.tagged(frames, "outcome", "ok"))
      yield* Metric.increment(Metric.tagged(frames, "outcome", "error"))
      yield* Metric.increment(Metric.tagged(Metrics.framesRejected, "code", "invalid_json"))
      yield* Metric.update(Metric.tagged(Metrics.handlerSeconds, "type", "chat"), 0.003)
      yield* Metric.update(Metric.tagged(Metrics.handlerSeconds, "type", "ping"), 0.00005)
      yield* Metric.increment(Metric.tagged(Metrics.runsTotal, "status", "done"))
      Metrics.bump(Metrics.clientErrors)
      Metrics.bump(Metrics.slowConsumerCloses)

      const { parsed } = yield* scrape
      expect(familyOf(parsed, "switchyard_connections_open")).toMatchObject({
        type: "gauge",
        help: "open WebSocket connections",
        samples: [{ name: "switchyard_connections_open", labels: {}, value: 2 }]
      })
      expect(familyOf(parsed, "switchyard_users_active").type).toBe("gauge")
      const framesFamily = familyOf(parsed, "switchyard_frames_total")
      expect(framesFamily.type).toBe("counter")
      expect(valueOf(framesFamily, "switchyard_frames_total", { type: "chat", outcome: "ok" })).toBe(1)
      expect(valueOf(framesFamily, "switchyard_frames_total", { type: "chat", outcome: "error" })).toBe(1)
      expect(familyOf(parsed, "switchyard_client_errors_total").samples[0]?.value).toBe(1)
      expect(familyOf(parsed, "switchyard_slow_consumer_closes_total").samples[0]?.value).toBe(1)

      const handler = familyOf(parsed, "switchyard_handler_seconds")
      expect(handler.type).toBe("histogram")
      // 15 finite boundaries from the exponential series, then +Inf
      expect(handler.samples.filter((s) => s.name.endsWith("_bucket") && s.labels["type"] === "chat")).toHaveLength(16)
      expect(valueOf(handler, "switchyard_handler_seconds_bucket", { type: "chat", le: "0.0032" })).toBe(1)
      expect(valueOf(handler, "switchyard_handler_seconds_bucket", { type: "chat", le: "0.0016" })).toBe(0)
      expect(valueOf(handler, "switchyard_handler_seconds_bucket", { type: "ping", le: "0.0001" })).toBe(1)
      expect(valueOf(handler, "switchyard_handler_seconds_count", { type: "chat" })).toBe(1)
    }))

  describe("render", () => {
    it("renders nothing for no metrics", () => {
      expect(Prometheus.render([])).toBe("")
    })

    it("spells integers without decimals and infinities and NaN as Prometheus does", () => {
      const text = Prometheus.render([
        gaugePair("g_int", 7),
        gaugePair("g_float", 0.1),
        gaugePair("g_inf", Infinity),
        gaugePair("g_ninf", -Infinity),
        gaugePair("g_nan", NaN),
        gaugePair("g_big", 1e21),
        gaugePair("g_small", 1e-7),
        gaugePair("g_negzero", -0)
      ])
      expect(text.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
        "g_big 1e+21",
        "g_float 0.1",
        "g_inf +Inf",
        "g_int 7",
        "g_nan NaN",
        "g_negzero 0",
        "g_ninf -Inf",
        "g_small 1e-7",
        ""
      ])
      const parsed = parsePrometheus(text)
      expect(familyOf(parsed, "g_nan").samples[0]?.value).toBeNaN()
      expect(familyOf(parsed, "g_ninf").samples[0]?.value).toBe(-Infinity)
      expect(familyOf(parsed, "g_big").samples[0]?.value).toBe(1e21)
    })

    it("sanitizes metric and label names", () => {
      const text = Prometheus.render([
        gaugePair("http.requests-in flight", 1, [["content-type", "json"], ["__meta", "x"], ["9lives", "y"]]),
        gaugePair("1st:metric", 2)
      ])
      expect(text).toBe(
        [
          "# TYPE _1st:metric gauge",
          "_1st:metric 2",
          "# TYPE http_requests_in_flight gauge",
          "http_requests_in_flight{_9lives=\"y\",content_type=\"json\",exported__meta=\"x\"} 1",
          ""
        ].join("\n")
      )
      parsePrometheus(text)
    })

    it("keeps the last of two tags with the same name", () => {
      const text = Prometheus.render([gaugePair("g_dup", 1, [["a", "1"], ["a", "2"]])])
      expect(linesOf(text, "g_dup")).toEqual(["g_dup{a=\"2\"} 1"])
    })

    it("renames tags that clash with le, quantile or the frequency's key", () => {
      const histogram = MetricPair.unsafeMake(
        MetricKey.tagged(MetricKey.histogram("h_clash", MetricBoundaries.fromIterable([1])), "le", "mine"),
        MetricState.histogram({ buckets: [[1, 1], [Infinity, 1]], count: 1, min: 1, max: 1, sum: 1 })
      )
      const frequency = MetricPair.unsafeMake(
        MetricKey.tagged(MetricKey.frequency("f_clash"), "key", "mine"),
        MetricState.frequency(new Map([["GET", 2]]))
      )
      const text = Prometheus.render([histogram, frequency])
      expect(linesOf(text, "h_clash_bucket")).toEqual([
        "h_clash_bucket{exported_le=\"mine\",le=\"1\"} 1",
        "h_clash_bucket{exported_le=\"mine\",le=\"+Inf\"} 1"
      ])
      expect(linesOf(text, "f_clash")).toEqual(["f_clash{exported_key=\"mine\",key=\"GET\"} 2"])
      parsePrometheus(text)
    })

    it("renders a summary with its quantiles, _sum and _count", () => {
      const pair = MetricPair.unsafeMake(
        MetricKey.tagged(
          MetricKey.summary({
            name: "s_latency",
            maxAge: "1 minute",
            maxSize: 100,
            error: 0.01,
            quantiles: [0.5, 0.99],
            description: "a summary"
          }),
          "type",
          "chat"
        ),
        MetricState.summary({
          error: 0.01,
          quantiles: [[0.99, Option.none()], [0.5, Option.some(0.25)]],
          count: 4,
          min: 0.1,
          max: 0.4,
          sum: 1
        })
      )
      const text = Prometheus.render([pair])
      expect(text).toBe(
        [
          "# HELP s_latency a summary",
          "# TYPE s_latency summary",
          "s_latency{type=\"chat\",quantile=\"0.5\"} 0.25",
          "s_latency{type=\"chat\",quantile=\"0.99\"} NaN",
          "s_latency_sum{type=\"chat\"} 1",
          "s_latency_count{type=\"chat\"} 4",
          ""
        ].join("\n")
      )
      expect(familyOf(parsePrometheus(text), "s_latency").type).toBe("summary")
    })

    it("renders a frequency as a counter per value", () => {
      const pair = MetricPair.unsafeMake(
        MetricKey.tagged(MetricKey.frequency("f_methods_total", { description: "methods" }), "svc", "api"),
        MetricState.frequency(new Map([["POST", 1], ["GET", 3], ["DELETE", 0]]))
      )
      const text = Prometheus.render([pair])
      expect(text).toBe(
        [
          "# HELP f_methods_total methods",
          "# TYPE f_methods_total counter",
          "f_methods_total{key=\"DELETE\",svc=\"api\"} 0",
          "f_methods_total{key=\"GET\",svc=\"api\"} 3",
          "f_methods_total{key=\"POST\",svc=\"api\"} 1",
          ""
        ].join("\n")
      )
      parsePrometheus(text)
    })

    it("renders an unobserved histogram with zero buckets", () => {
      const pair = MetricPair.unsafeMake(
        MetricKey.histogram("h_empty", MetricBoundaries.fromIterable([0.5])),
        MetricState.histogram({
          buckets: [[0.5, 0], [Infinity, 0]],
          count: 0,
          min: Number.MAX_VALUE,
          max: Number.MIN_VALUE,
          sum: 0
        })
      )
      expect(Prometheus.render([pair])).toBe(
        [
          "# TYPE h_empty histogram",
          "h_empty_bucket{le=\"0.5\"} 0",
          "h_empty_bucket{le=\"+Inf\"} 0",
          "h_empty_sum 0",
          "h_empty_count 0",
          ""
        ].join("\n")
      )
    })

    it("renders a counter that can decrease as a gauge", () => {
      const text = Prometheus.render([counterPair("c_updown", -2, [], false)])
      expect(text).toBe("# TYPE c_updown gauge\nc_updown -2\n")
      parsePrometheus(text)
    })

    it("adds up counters that differ only in tag order, and keeps one kind per name", () => {
      const text = Prometheus.render([
        counterPair("c_merge_total", 2, [["a", "1"], ["b", "2"]]),
        counterPair("c_merge_total", 3, [["b", "2"], ["a", "1"]]),
        gaugePair("c_merge_total", 100)
      ])
      expect(text).toBe("# TYPE c_merge_total counter\nc_merge_total{a=\"1\",b=\"2\"} 5\n")
    })

    it("orders families by name and series by labels, whatever the input order", () => {
      const pairs = [
        gaugePair("zeta", 1, [["k", "b"]]),
        counterPair("alpha_total", 1, [["k", "z"]]),
        gaugePair("zeta", 2, [["k", "a"]]),
        counterPair("alpha_total", 2, [["k", "m"]]),
        gaugePair("mid", 3)
      ]
      const text = Prometheus.render(pairs)
      expect(text).toBe(
        [
          "# TYPE alpha_total counter",
          "alpha_total{k=\"m\"} 2",
          "alpha_total{k=\"z\"} 1",
          "# TYPE mid gauge",
          "mid 3",
          "# TYPE zeta gauge",
          "zeta{k=\"a\"} 2",
          "zeta{k=\"b\"} 1",
          ""
        ].join("\n")
      )
      expect(Prometheus.render([...pairs].reverse())).toBe(text)
    })

    it.prop(
      "round-trips any label value, label name and description through the parser",
      {
        value: FastCheck.string({ unit: "grapheme" }),
        help: FastCheck.string({ unit: "grapheme" }).filter((s) => !/^[ \t]/.test(s)),
        label: FastCheck.string({ unit: "grapheme-ascii", minLength: 1 }),
        name: FastCheck.string({ unit: "grapheme-ascii" })
      },
      ({ help, label, name, value }) => {
        const pair = MetricPair.unsafeMake(
          MetricKey.tagged(MetricKey.counter(name, { description: help, incremental: true }), label, value),
          MetricState.counter(1)
        )
        const parsed = parsePrometheus(Prometheus.render([pair]))
        expect(parsed.families.size).toBe(1)
        const [family] = parsed.families.values()
        expect(family?.help).toBe(help)
        expect(Object.values(family?.samples[0]?.labels ?? {})).toEqual([value])
      }
    )
  })
})

describe("parsePrometheus", () => {
  it("accepts comments, blank lines, free spacing, trailing commas and timestamps", () => {
    const text = [
      "# a plain comment",
      "# HELP x_total Counts\\\\things\\n.",
      "",
      "#   TYPE x_total counter",
      "x_total{a=\"1\" , b = \"2\",} 3 1700000000000",
      "x_total\t4.5e2",
      "# TYPE h histogram",
      "h_bucket{le=\"0.1\"} 1",
      "h_bucket{le=\"+Inf\"} 2",
      "h_sum 0.3",
      "h_count 2",
      "# HELP only_help nothing else",
      "# TYPE g gauge",
      "g{} -Infinity",
      ""
    ].join("\n")
    const parsed = parsePrometheus(text)
    expect(familyOf(parsed, "x_total")).toEqual({
      type: "counter",
      help: "Counts\\things\n.",
      samples: [
        { name: "x_total", labels: { a: "1", b: "2" }, value: 3 },
        { name: "x_total", labels: {}, value: 450 }
      ]
    })
    expect(familyOf(parsed, "h").samples).toHaveLength(4)
    expect(familyOf(parsed, "g").samples).toEqual([{ name: "g", labels: {}, value: -Infinity }])
    expect(familyOf(parsed, "only_help")).toEqual({ type: "untyped", help: "nothing else", samples: [] })
    expect(parsePrometheus("").families.size).toBe(0)
  })

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ["no trailing newline", "# TYPE a gauge\na 1"],
    ["sample without TYPE", "a 1\n"],
    ["sample with only HELP", "# HELP a help\na 1\n"],
    ["HELP after the samples", "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a late\n"],
    ["second TYPE", "# TYPE a gauge\n# TYPE a gauge\na 1\n"],
    ["second HELP", "# HELP a x\n# HELP a y\n# TYPE a gauge\n"],
    ["unknown type", "# TYPE a meter\n"],
    ["family split in two groups", "# TYPE a gauge\n# TYPE b gauge\na 1\n"],
    ["invalid metric name", "# TYPE 1a gauge\n"],
    ["invalid character in name", "# TYPE a gauge\na-b 1\n"],
    ["invalid label name", "# TYPE a gauge\na{1x=\"v\"} 1\n"],
    ["duplicate label", "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n"],
    ["unquoted label value", "# TYPE a gauge\na{x=1} 1\n"],
    ["bad label escape", "# TYPE a gauge\na{x=\"\\t\"} 1\n"],
    ["unterminated label value", "# TYPE a gauge\na{x=\"1} 1\n"],
    ["bad HELP escape", "# HELP a bad \\\" quote\n"],
    ["missing value", "# TYPE a gauge\na{x=\"1\"}\n"],
    ["invalid value", "# TYPE a gauge\na 1,5\n"],
    ["invalid exponent", "# TYPE a gauge\na 1e\n"],
    ["signed NaN", "# TYPE a gauge\na -NaN\n"],
    ["invalid timestamp", "# TYPE a gauge\na 1 1.5\n"],
    ["trailing garbage", "# TYPE a gauge\na 1 2 3\n"],
    ["no blank before value", "# TYPE a gauge\na{x=\"1\"}1\n"],
    ["duplicate series", "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n"],
    ["negative counter", "# TYPE a counter\na -1\n"],
    ["suffix of a non-histogram", "# TYPE a gauge\na_sum 1\n"],
    [
      "non-cumulative buckets",
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"
    ],
    ["buckets out of order", "# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\n"],
    ["no +Inf bucket", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"],
    ["_count differs from +Inf", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"],
    ["histogram without _sum", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n"],
    ["bucket without le", "# TYPE h histogram\nh_bucket 1\n"],
    ["bad le", "# TYPE h histogram\nh_bucket{le=\"x\"} 1\n"],
    ["summary quantile out of range", "# TYPE s summary\ns{quantile=\"2\"} 1\ns_sum 1\ns_count 1\n"],
    ["summary without _count", "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\n"]
  ]
  it.each(invalid)("rejects %s", (_, text) => {
    expect(() => parsePrometheus(text)).toThrow(PrometheusParseError)
  })
})
