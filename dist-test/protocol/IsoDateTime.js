import { Schema } from "effect";
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;
const utc = (year, monthIndex, day, hour = 0, minute = 0, second = 0, millis = 0) => {
  const date = /* @__PURE__ */ new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime();
};
const daysIn = (year, month) => new Date(utc(year, month, 0)).getUTCDate();
const parseIsoDateTime = (text) => {
  const match = PATTERN.exec(text);
  if (match === null) return void 0;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === void 0 ? 0 : Number(h);
  const minute = mi === void 0 ? 0 : Number(mi);
  const second = s === void 0 ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return void 0;
  if (hour > 23 || minute > 59 || second > 59) return void 0;
  const millis = fraction === void 0 ? 0 : Math.floor(Number(`0.${fraction}`) * 1e3);
  let offsetMinutes = 0;
  if (zone !== void 0 && zone !== "Z" && zone !== "z") {
    const digits = zone.slice(1).replace(":", "");
    const zoneHours = Number(digits.slice(0, 2));
    const zoneMinutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (zoneHours > 23 || zoneMinutes > 59) return void 0;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  return utc(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 6e4;
};
const IsoDateTime = Schema.String.pipe(
  Schema.filter((text) => parseIsoDateTime(text) !== void 0, {
    description: "an ISO-8601 date-time such as 2026-11-23T10:00:00Z"
  })
);
export {
  IsoDateTime,
  parseIsoDateTime
};
//# sourceMappingURL=IsoDateTime.js.map
