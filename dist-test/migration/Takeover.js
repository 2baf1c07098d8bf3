import * as HttpLegacy from "./HttpLegacy.js";
import * as Migration from "./Migration.js";
const optionsFrom = (settings) => settings.legacyBackendUrl === void 0 ? void 0 : {
  url: settings.legacyBackendUrl,
  timeoutMs: settings.legacyTimeoutMs,
  retries: settings.legacyRetries,
  types: settings.legacyTypes
};
const apply = (handlers, options) => {
  const listed = new Set(options.types);
  const claimed = /* @__PURE__ */ new Set();
  const out = [];
  for (const handler of handlers) {
    const types = [handler.type, ...handler.aliases];
    for (const type of types) claimed.add(type);
    const taken = types.filter((type) => listed.has(type));
    if (taken.length === 0 || Migration.isMigration(handler)) {
      out.push(handler);
      continue;
    }
    const kept = types.filter((type) => !listed.has(type));
    if (kept.length > 0) out.push({ ...handler, type: kept[0], aliases: kept.slice(1) });
    for (const type of taken) {
      out.push(Migration.handler({
        type,
        legacy: HttpLegacy.handler(type, options),
        // the same program, claiming just this type
        next: { ...handler, type, aliases: [] }
      }));
    }
  }
  for (const type of listed) {
    if (!claimed.has(type)) out.push(HttpLegacy.handler(type, options));
  }
  return out;
};
export {
  apply,
  optionsFrom
};
//# sourceMappingURL=Takeover.js.map
