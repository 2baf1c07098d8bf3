import { Effect, Either, Schema } from "effect";
import { toFrameError } from "../protocol/DecodeFailure.js";
const make = (type, options) => {
  const decode = Schema.decodeUnknownEither(options.payload);
  return {
    type,
    aliases: options.aliases ?? [],
    reply: options.reply ?? "ack",
    batchable: options.batchable ?? true,
    run: (payload) => {
      const decoded = decode(payload);
      return Either.isLeft(decoded) ? Effect.fail(toFrameError(decoded.left, ["payload"])) : options.handle(decoded.right);
    }
  };
};
export {
  make
};
//# sourceMappingURL=Handler.js.map
