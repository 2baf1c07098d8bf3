/**
 * `npm run asyncapi`: writes the wire contract, generated from the service's
 * schemas, to docs/asyncapi.json (a test fails while the committed file is stale).
 */
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import * as AsyncApi from "../src/protocol/AsyncApi.js"

const path = fileURLToPath(new URL("../docs/asyncapi.json", import.meta.url))
writeFileSync(path, AsyncApi.text())
console.log(`wrote ${path}`)
