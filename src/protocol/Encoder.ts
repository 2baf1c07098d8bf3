import { type Either, type ParseResult, Schema, type SchemaAST } from "effect"

/**
 * Does encoding with this schema change nothing? True when the schema has
 * no transformation and no declaration anywhere (structs, unions, arrays,
 * records, literals, primitives and their refinements): a value of its Type
 * is then already its Encoded form, and `JSON.stringify` can write it as it is.
 */
export const isEncodingFree = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Transformation":
    case "Declaration":
    // a recursive schema: not looked into (it would be followed forever)
    case "Suspend":
      return false
    case "Refinement":
      return isEncodingFree(ast.from)
    case "Union":
      return ast.types.every(isEncodingFree)
    case "TupleType":
      return ast.elements.every((element) => isEncodingFree(element.type)) &&
        ast.rest.every((rest) => isEncodingFree(rest.type))
    case "TypeLiteral":
      return ast.propertySignatures.every((property) => isEncodingFree(property.type)) &&
        ast.indexSignatures.every((index) => isEncodingFree(index.type))
    default:
      return true
  }
}

/**
 * The encoder of `schema`, compiled once: `undefined` when encoding changes
 * nothing ({@link isEncodingFree}), so that a hot path pays nothing for a
 * schema whose values TypeScript has already checked; otherwise
 * `Schema.encodeEither`, for a schema that transforms (a `Date` written as
 * a string, say).
 */
export const encoderOf = <A, I>(
  schema: Schema.Schema<A, I, never>
): ((value: A) => Either.Either<I, ParseResult.ParseError>) | undefined =>
  isEncodingFree(schema.ast) ? undefined : Schema.encodeEither(schema)
