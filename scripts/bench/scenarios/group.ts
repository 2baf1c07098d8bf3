import type { BenchClient } from "../client.js"

/** `users` ids, each repeated `perUser` times (one entry per connection to open). */
export const userIds = (prefix: string, users: number, perUser: number): ReadonlyArray<string> =>
  Array.from({ length: users * perUser }, (_, i) => `${prefix}-${Math.floor(i / perUser)}`)

/** Connected clients grouped by user, in connection order. */
export const byUser = (clients: ReadonlyArray<BenchClient>): ReadonlyArray<ReadonlyArray<BenchClient>> => {
  const groups = new Map<string, Array<BenchClient>>()
  for (const client of clients) {
    const group = groups.get(client.userId)
    if (group === undefined) groups.set(client.userId, [client])
    else group.push(client)
  }
  return Array.from(groups.values())
}
