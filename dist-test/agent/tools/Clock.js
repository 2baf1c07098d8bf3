import { Clock, Effect, Schema } from "effect";
import * as Tool from "../Tool.js";
const DEFAULT_TIMEZONE = "UTC";
const canonicalTimezone = (timezone) => {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    return void 0;
  }
};
const ClockInput = Schema.Struct({
  timezone: Schema.optional(
    Schema.String.annotations({
      description: `An IANA timezone such as "Europe/Paris" or "America/New_York"; defaults to ${DEFAULT_TIMEZONE}.`
    })
  )
});
const ClockTool = Tool.make({
  name: "clock",
  description: "Returns the current date and time, optionally in a given IANA timezone.",
  input: ClockInput,
  run: ({ timezone }) => Effect.gen(function* () {
    const requested = timezone?.trim() || DEFAULT_TIMEZONE;
    const zone = canonicalTimezone(requested);
    if (zone === void 0) {
      return yield* new Tool.ToolError({ tool: "clock", message: `unknown timezone "${requested}"` });
    }
    const date = new Date(yield* Clock.currentTimeMillis);
    const text = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      dateStyle: "full",
      timeStyle: "long"
    }).format(date);
    return { iso: date.toISOString(), timezone: zone, text };
  })
});
const TIME_QUESTIONS = [
  /\bwhat\s+time\b/i,
  // "what time is it (in Tokyo)"
  /\b(?:current|local)\s+(?:time|date|day)\b/i,
  // "current time in Europe/Paris"
  /\bwhat(?:'s|’s|\s+is|s)\s+(?:the\s+)?(?:time|date|day)\b/i,
  // "what's the date today"
  /\bwhat\s+(?:day|date|month|year)\s+is\s+(?:it|today)\b/i,
  /\btoday'?s\s+date\b/i,
  /\b(?:time|date)\s+(?:is\s+it\s+)?(?:right\s+)?now\b/i,
  // "time now", "date right now"
  /\btell\s+me\s+the\s+(?:time|date)\b/i,
  /\bwhat\s+is\s+today\b/i
];
const mentionsTime = (text) => TIME_QUESTIONS.some((pattern) => pattern.test(text));
const ZONE_LIKE = /(?<![\w/])(?:[A-Za-z][A-Za-z_]*(?:\/[A-Za-z0-9_+-]+)+|UTC|GMT)(?![\w/])/gi;
let cities;
const cityZones = () => {
  if (cities === void 0) {
    const map = /* @__PURE__ */ new Map();
    for (const zone of Intl.supportedValuesOf("timeZone")) {
      const city = zone.split("/").pop().replace(/_/g, " ");
      if (zone.includes("/") && !map.has(city)) map.set(city, zone);
    }
    cities = map;
  }
  return cities;
};
const IN_PLACE = /\bin\s+((?:[A-Z][\p{L}'-]*)(?:\s+[A-Z][\p{L}'-]*){0,2})/gu;
const extractTimezone = (text) => {
  for (const match of text.matchAll(ZONE_LIKE)) {
    const zone = canonicalTimezone(match[0]);
    if (zone !== void 0) return zone;
  }
  for (const match of text.matchAll(IN_PLACE)) {
    const words = match[1].split(/\s+/);
    for (let n = words.length; n > 0; n--) {
      const zone = cityZones().get(words.slice(0, n).join(" "));
      if (zone !== void 0) return zone;
    }
  }
  return void 0;
};
export {
  ClockInput,
  ClockTool,
  DEFAULT_TIMEZONE,
  canonicalTimezone,
  extractTimezone,
  mentionsTime
};
//# sourceMappingURL=Clock.js.map
