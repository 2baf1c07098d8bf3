import { Context } from "effect"

/** The user a frame came from (provided per user, with the user's other services). */
export class CurrentUser extends Context.Tag("switchyard/CurrentUser")<CurrentUser, {
  readonly userId: string
}>() {}
