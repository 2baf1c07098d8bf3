import { io, type Socket } from "socket.io-client"
import type { StreamClient } from "./client.js"
import { type ServerFrame, toServerFrame } from "./frames.js"
import * as Jwt from "../../src/transport/Jwt.js"

/**
 * A bench connection to the Socket.IO baseline (socketio-server.ts), seen
 * as a `StreamClient`: the `frame` events it broadcasts become frames, a
 * `user_message` goes out as a Socket.IO event and its acknowledgement comes
 * back as an `ack` frame with the message's id, as the service would send it.
 */
class SocketIoClient implements StreamClient {
  onFrame: (frame: ServerFrame) => void = () => {}
  onUnexpectedClose: (code: number) => void = () => {}
  private closing = false

  constructor(readonly socket: Socket, readonly userId: string) {
    socket.on("frame", (value: unknown) => {
      const frame = toServerFrame(value)
      if (frame !== undefined) this.onFrame(frame)
    })
    socket.on("disconnect", () => {
      if (!this.closing) this.onUnexpectedClose(1006)
    })
  }

  send(frame: { readonly type: string; readonly id?: string; readonly payload?: object }): void {
    const id = frame.id
    this.socket.emit(frame.type, frame.payload ?? {}, (payload: unknown) => {
      const ack = toServerFrame({ type: "ack", id, payload })
      if (ack !== undefined) this.onFrame(ack)
    })
  }

  close(): void {
    this.closing = true
    this.socket.disconnect()
  }
}

/** Connects `userId` to the Socket.IO server at `url` (http://host:port); rejects on refusal or timeout. */
export const connectSocketIo = (url: string, userId: string, secret: string, timeoutMs = 30_000): Promise<StreamClient> =>
  new Promise((resolve, reject) => {
    const now = Math.floor(Date.now() / 1000)
    const token = Jwt.sign({ sub: userId, iat: now, exp: now + 3600 }, secret)
    const socket = io(url, {
      transports: ["websocket"],
      auth: { token },
      reconnection: false,
      forceNew: true,
      // the server offers no compression (nor does the service): nothing to negotiate
      timeout: timeoutMs
    })
    socket.once("connect", () => resolve(new SocketIoClient(socket, userId)))
    socket.once("connect_error", (err) => {
      socket.disconnect()
      reject(err)
    })
  })
