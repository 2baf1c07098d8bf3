import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
const page = readFileSync(new URL("./dashboard.html", import.meta.url), "utf8");
const inlineBlocks = (tag) => Array.from(page.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g")), (match) => match[1] ?? "");
const hashes = (blocks) => blocks.map((block) => `'sha256-${createHash("sha256").update(block, "utf8").digest("base64")}'`).join(" ");
const pageSecurityPolicy = [
  "default-src 'none'",
  `script-src ${hashes(inlineBlocks("script"))}`,
  `style-src ${hashes(inlineBlocks("style"))}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join("; ");
export {
  page,
  pageSecurityPolicy
};
//# sourceMappingURL=DashboardPage.js.map
