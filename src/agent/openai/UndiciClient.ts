/**
 * An `HttpClient` on undici (as `NodeHttpClient.layerUndici`) whose responses
 * let a reader take their body as the Node stream it is (`takeBody`): the
 * Chat Completions reader reads it a read at a time in one step, without
 * `NodeStream.fromReadable`'s channel — which, with the fiber's wake-up, was
 * most of the Effect runtime's work per streamed delta. Every other use sees
 * an ordinary response (`stream`, `text`, ...).
 * Import as a namespace: `import * as UndiciClient from "./UndiciClient.js"`.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Undici from "@effect/platform-node/Undici"
import { Effect, Inspectable, Layer, Option, type Stream } from "effect"
import type { Readable } from "node:stream"

/** The bodies nobody has read yet, by the request they answer (the response a client hands out wraps this module's). */
const unread = new WeakMap<HttpClientRequest.HttpClientRequest, Readable>()

/**
 * The Node stream of `response`'s body, when this module's client made it and
 * nothing read it yet; taking it is reading it (`stream` and the others no
 * longer may). The reader must destroy it if it stops before its end: that
 * aborts the request.
 */
export const takeBody = (response: HttpClientResponse.HttpClientResponse): Readable | undefined => {
  const body = unread.get(response.request)
  if (body !== undefined) unread.delete(response.request)
  return body
}

/** The client on `dispatcher`. */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) =>
    Effect.flatMap(bodyOf(request.body), (body) =>
      Effect.tryPromise({
        try: () =>
          dispatcher.request({
            signal,
            method: request.method,
            headers: request.headers,
            origin: url.origin,
            path: url.pathname + url.search + url.hash,
            body,
            // timeouts are the caller's (the agent's idle watchdog)
            headersTimeout: 60 * 60 * 1000,
            bodyTimeout: 0
          }),
        catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
      })
    ).pipe(Effect.map((source) => {
      unread.set(request, source.body)
      return new Response(request, source)
    }))
  )

/** The client on its own undici agent, closed with the layer. */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(NodeHttpClient.makeDispatcher, make)
)

const bodyOf = (body: HttpBody.HttpBody): Effect.Effect<Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
    case "Raw":
      return Effect.succeed(body.body as Uint8Array)
    case "FormData":
      return Effect.succeed(body.formData as Undici.FormData)
    case "Stream":
      return NodeStream.toReadable(body.stream)
  }
}

// (a body read by a method here is no longer the taker's)
class Response extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId

  constructor(readonly request: HttpClientRequest.HttpClientRequest, private readonly source: Undici.Dispatcher.ResponseData) {
    super()
    // an error event nobody listens to would crash the process; readers see errors their own way
    source.body.on("error", () => {})
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError = (cause: unknown): HttpClientError.ResponseError =>
    new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })

  private read<A>(f: (body: Undici.Dispatcher.ResponseData["body"]) => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.tryPromise({
      try: () => {
        unread.delete(this.request)
        return f(this.source.body)
      },
      catch: this.decodeError
    })
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => {
      unread.delete(this.request)
      return this.source.body
    }, this.decodeError)
  }

  // read once, then the same answer for every caller (the body can be read only once)
  private cachedText?: Effect.Effect<string, HttpClientError.ResponseError>
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.cachedText ??= Effect.runSync(Effect.cached(this.read((body) => body.text())))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => text === "" ? null : JSON.parse(text) as unknown, catch: this.decodeError }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({ try: () => UrlParams.fromInput(new URLSearchParams(text)), catch: this.decodeError }))
  }

  private cachedFormData?: Effect.Effect<FormData, HttpClientError.ResponseError>
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.cachedFormData ??= Effect.runSync(Effect.cached(this.read((body) => body.formData() as Promise<FormData>)))
  }

  private cachedArrayBuffer?: Effect.Effect<ArrayBuffer, HttpClientError.ResponseError>
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.cachedArrayBuffer ??= Effect.runSync(Effect.cached(this.read((body) => body.arrayBuffer())))
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}
