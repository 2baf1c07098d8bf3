import type { HttpServerRequest } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"

/**
 * The address of the socket a request came in on: what every per-address
 * decision (upgrade rate, loopback-only development tokens) is made on. Not
 * `request.remoteAddress`: a middleware such as `HttpMiddleware.xForwardedHeaders`
 * rewrites that from a header any client can send.
 */
export const socketAddress = (request: HttpServerRequest.HttpServerRequest): string | undefined =>
  NodeHttpServerRequest.toIncomingMessage(request).socket?.remoteAddress
