/** A request's headers, as Node and the platform both give them (lower-case names). */
export type Headers = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
