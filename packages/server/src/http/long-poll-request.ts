import type { Request } from 'express'

/** A long poll (a list asked with `lastUpdateIndex`) waits for a change by design, up to its own timeout. */
export const isLongPoll = (req: Request): boolean => req.query.lastUpdateIndex !== undefined
