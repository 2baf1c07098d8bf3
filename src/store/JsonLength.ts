/**
 * About how long `value`'s JSON is (strings in UTF-16 units, without escapes;
 * numbers as 8), or `undefined` once it is over `cap`. What the dedupe store
 * charges a result with: walking it allocates next to nothing, where
 * `JSON.stringify` would build the whole text for every acknowledged frame.
 * Iterative, so a deep result cannot overflow the stack; a cyclic one ends at `cap`.
 */
export const jsonLength = (value: unknown, cap: number): number | undefined => {
  let total = 0
  const pending: Array<unknown> = [value]
  while (pending.length > 0) {
    const item = pending.pop()
    switch (typeof item) {
      case "string":
        total += item.length + 2
        break
      case "number":
      case "bigint":
        total += 8
        break
      case "boolean":
        total += 5
        break
      case "object":
        if (item === null) total += 4
        else if (Array.isArray(item)) {
          // brackets and the commas between elements
          total += item.length === 0 ? 2 : item.length + 1
          for (const element of item) pending.push(element)
        } else {
          const record = item as Record<string, unknown>
          let entries = 0
          for (const key in record) {
            // the key quoted, with its colon
            total += key.length + 3
            entries++
            pending.push(record[key])
          }
          // braces and the commas between entries
          total += entries === 0 ? 2 : entries + 1
        }
        break
    }
    if (total > cap) return undefined
  }
  return total
}
