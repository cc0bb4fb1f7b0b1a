/** Who and where, for `grants add` and `grants remove`: `USER|GROUP DESTINATION`. */
export const GRANT_POSITIONALS = {
  USER: { type: 'string', demandOption: true },
  DESTINATION: { type: 'string', demandOption: true },
} as const
