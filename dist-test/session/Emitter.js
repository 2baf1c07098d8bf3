import { Context, Effect } from "effect";
class Emitter extends Context.Tag("switchyard/Emitter")() {
}
const capturing = () => {
  const events = [];
  return { events, emitter: { emit: (event) => Effect.sync(() => void events.push(event)) } };
};
export {
  Emitter,
  capturing
};
//# sourceMappingURL=Emitter.js.map
