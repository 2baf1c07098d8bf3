import type { Schema } from "effect"
import { ClientRequests } from "../protocol/ClientRequests.js"

/**
 * The requests a client makes (PROTOCOL §4), as the protocol declares them
 * (`ClientRequests`: each type's payload and result schemas, shared with the
 * handlers and the AsyncAPI document). `resume` is the client's own business,
 * and `disconnect` is closing its scope.
 */
const { disconnect: _disconnect, resume: _resume, ...requests } = ClientRequests

/** Every request type `request` takes, with its schemas. */
export const Requests = requests

/** A request type `request` takes. */
export type RequestType = keyof typeof Requests

/** What `request(type, payload)` takes: the payload as it goes on the wire. */
export type RequestPayload<T extends RequestType> = Schema.Schema.Encoded<(typeof Requests)[T]["payload"]>

/** What the ack of `type` carries as its result. */
export type RequestResult<T extends RequestType> = Schema.Schema.Type<(typeof Requests)[T]["success"]>

/** A request type's payload and result schemas. */
export interface RequestSpec {
  readonly payload: Schema.Schema.AnyNoContext
  readonly success: Schema.Schema.AnyNoContext
}
