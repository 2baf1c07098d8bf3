const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const isIgnoredKey = (key) => key === "id" || key === "ts" || key === "timestamp" || key.endsWith("_id") || key.endsWith("Id") || key.endsWith("_at") || key.endsWith("At");
const normalize = (value) => {
  if (typeof value === "string") return ISO_TIMESTAMP.test(value) ? "<timestamp>" : value;
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object" && value !== null) {
    const out = {};
    for (const key of Object.keys(value).sort()) {
      if (isIgnoredKey(key)) continue;
      const field = value[key];
      if (field !== void 0) out[key] = normalize(field);
    }
    return out;
  }
  return value;
};
const show = (value) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};
const firstDifference = (a, b, path = "$") => {
  if (Object.is(a, b)) return void 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d !== void 0) return d;
    }
    return a.length === b.length ? void 0 : `${path}: ${a.length} items vs ${b.length}`;
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a;
    const rb = b;
    const keys = Array.from(/* @__PURE__ */ new Set([...Object.keys(ra), ...Object.keys(rb)])).sort();
    for (const key of keys) {
      const d = firstDifference(ra[key], rb[key], `${path}.${key}`);
      if (d !== void 0) return d;
    }
    return void 0;
  }
  return `${path}: ${show(a)} vs ${show(b)}`;
};
const eventsOf = (observed) => observed.events.map((event) => ({ type: event.type, payload: event.payload }));
const structural = (legacy, next) => {
  if (legacy._tag !== next._tag) {
    const describe = (o) => o._tag === "Success" ? "succeeded" : `failed with ${o.code}`;
    return { equal: false, difference: `legacy ${describe(legacy)}, next ${describe(next)}` };
  }
  const outcome = legacy._tag === "Success" && next._tag === "Success" ? firstDifference(normalize(legacy.result), normalize(next.result), "result") : legacy._tag === "Failure" && next._tag === "Failure" && legacy.code !== next.code ? `error code: ${legacy.code} vs ${next.code}` : void 0;
  if (outcome !== void 0) return { equal: false, difference: outcome };
  const events = firstDifference(normalize(eventsOf(legacy)), normalize(eventsOf(next)), "events");
  return events === void 0 ? { equal: true } : { equal: false, difference: events };
};
export {
  firstDifference,
  isIgnoredKey,
  normalize,
  structural
};
//# sourceMappingURL=Compare.js.map
