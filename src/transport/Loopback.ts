import { BlockList, isIP } from "node:net"

/**
 * Is a peer on this machine? Loopback is 127.0.0.0/8 and `::1`; an IPv4
 * address mapped into IPv6 (`::ffff:127.0.0.1`, as a dual-stack socket
 * reports it) counts as its IPv4 address, which `BlockList` does for us.
 * Meant for a socket's remote address, never for a header a client can write
 * (`X-Forwarded-For`): anything that is not an IP address is not loopback.
 */
export const isLoopback = (address: string | undefined): boolean => {
  if (address === undefined) return false
  const family = isIP(address)
  return family !== 0 && loopback.check(address, family === 4 ? "ipv4" : "ipv6")
}

/** What `POST /dev/token` answers, as the startup warning and the 404 say it. */
export const LOOPBACK_DESCRIPTION = "loopback only: 127.0.0.0/8, ::1"

const loopback = new BlockList()
loopback.addSubnet("127.0.0.0", 8, "ipv4")
loopback.addAddress("::1", "ipv6")
