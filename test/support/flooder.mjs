// A flooding client in a process of its own (so that its work is not the test's or the server's):
// `node flooder.mjs <ws url> <connections> <ms> [mixed|pings]` floods for <ms>, then prints what it was answered as JSON.
// mixed: cheap frames, expensive text, batches and garbage; pings: thousands of tiny pipelined frames per write.
import WebSocket from "ws"

const [url, connections, ms, mode] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? "mixed"]

// one round of what it sends: cheap frames, expensive text, a batch (under MAX_MESSAGE_BYTES), garbage
const round = (r) => [
  ...Array.from({ length: 50 }, (_, i) => JSON.stringify({ type: "ping", id: `p-${r}-${i}` })),
  JSON.stringify({ type: "user_message", id: `u-${r}`, payload: { text: "*/".repeat(16_000) } }),
  JSON.stringify({
    type: "batch",
    id: `b-${r}`,
    payload: { messages: Array.from({ length: 100 }, (_, i) => ({ type: "user_message", id: `bi-${r}-${i}`, payload: { text: "1+".repeat(2000) } })) }
  }),
  JSON.stringify({ type: "error", payload: { message: "x", details: { blob: "y".repeat(100_000) } } }),
  "{not json"
]
const pings = (r) => Array.from({ length: 3000 }, (_, i) => `{"type":"ping","id":"q${r}-${i}"}`)
const rounds = Array.from({ length: 20 }, (_, r) => (mode === "pings" ? pings(r) : round(r)))

const answers = { frames: 0, rate_limited: 0, retry_after_ms_min: Infinity, closes: [] }
const sockets = await Promise.all(Array.from({ length: connections }, () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url)
  ws.on("message", (data) => {
    answers.frames++
    const frame = JSON.parse(data.toString())
    if (frame.type === "error" && frame.payload.code === "RATE_LIMITED") {
      answers.rate_limited++
      answers.retry_after_ms_min = Math.min(answers.retry_after_ms_min, frame.payload.details.retry_after_ms)
    }
  })
  ws.on("close", (code) => answers.closes.push(code))
  ws.once("open", () => resolve(ws))
  ws.once("error", reject)
})))
const until = Date.now() + ms
for (let r = 0; Date.now() < until; r++) {
  for (const ws of sockets) {
    // as fast as the socket takes it, no faster: a flood, not a client that buffers gigabytes
    if (ws.bufferedAmount < 4 * 1024 * 1024) for (const frame of rounds[r % rounds.length]) ws.send(frame)
  }
  await new Promise((resolve) => setTimeout(resolve, 2))
}
await new Promise((resolve) => setTimeout(resolve, 500))
process.stdout.write(JSON.stringify({ ...answers, open: sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length }))
for (const ws of sockets) ws.terminate()
