import { Option, Schema } from "effect";
const stages = ["legacy_only", "shadow", "canary", "next_primary", "next_only"];
const aliases = {
  testing: "shadow",
  dual_mode: "canary",
  ssot_primary: "next_primary",
  ssot_only: "next_only"
};
const names = new Map([
  ...stages.map((stage) => [stage, stage]),
  ...Object.entries(aliases)
]);
const acceptedNames = Array.from(names.keys());
const parse = (name) => Option.fromNullable(names.get(name.trim().toLowerCase()));
const StageName = Schema.String.pipe(
  Schema.filter((name) => names.has(name), {
    message: () => `stage must be one of ${acceptedNames.join(", ")}`
  }),
  Schema.transform(Schema.Literal(...stages), {
    strict: true,
    decode: (name) => names.get(name),
    encode: (stage) => stage
  })
);
const nextServes = (stage) => stage === "canary" || stage === "next_primary" || stage === "next_only";
export {
  StageName,
  acceptedNames,
  aliases,
  nextServes,
  parse,
  stages
};
//# sourceMappingURL=Stage.js.map
