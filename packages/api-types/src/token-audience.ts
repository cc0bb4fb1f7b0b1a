import { INFRA_RESOURCE } from './resource.js'

/** The `aud` of a token from `POST /api/tokens` for one destination: Infra, then that destination. */
export type DestinationAudience = [typeof INFRA_RESOURCE, string]

/**
 * The `aud` a token is signed with. A token for a destination names it after `infra`: connectors of this
 * project accept it at that destination only, while connectors that only look for `infra` in the audience
 * (this project's up to 0.22) or ignore it (Infra's Go connector) keep accepting it. A token asked for without
 * a destination, as Infra's own CLI asks, is `infra` alone, and no connector of this project accepts it.
 */
export function tokenAudience(destination: string | undefined): DestinationAudience | typeof INFRA_RESOURCE {
  return destination === undefined ? INFRA_RESOURCE : [INFRA_RESOURCE, destination]
}

/** Whether a token's `aud` is exactly the one of a token for `destination`: no other shape, name or spelling. */
export function isAudienceOf(audience: unknown, destination: string): boolean {
  return (
    Array.isArray(audience) &&
    audience.length === 2 &&
    audience[0] === INFRA_RESOURCE &&
    audience[1] === destination
  )
}
