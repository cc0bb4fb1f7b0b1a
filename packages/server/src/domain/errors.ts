import type { FieldError } from '@infra/api-types'

/**
 * What went wrong, said in the terms of the domain: services, authentication and routes throw these, and
 * http/errors.ts alone decides the status and body a client sees for each.
 */
abstract class DomainError extends Error {
  abstract readonly kind: string
}

export const fieldError = (fieldName: string, ...errors: string[]): FieldError => ({ fieldName, errors })

/**
 * Bad fields of a request, each named with what is wrong in the message too: Infra's own CLI shows only the
 * message (`invalid body: expiry: must be more than 0s`).
 */
export function invalidFields(where: 'body' | 'query' | 'path', fieldErrors: FieldError[]): InvalidError {
  const details = fieldErrors.map((entry) => `${entry.fieldName}: ${entry.errors.join(', ')}`).join('; ')
  return new InvalidError(`invalid ${where === 'path' ? 'path parameter' : where}: ${details}`, fieldErrors)
}

/** The request itself is wrong: a field, a missing login method, an unknown provider. */
export class InvalidError extends DomainError {
  readonly kind = 'invalid'
  constructor(
    message: string,
    readonly fieldErrors?: FieldError[],
  ) {
    super(message)
    this.name = 'InvalidError'
  }
}

/** No valid credentials: a missing, malformed, unknown or expired key, or a failed login. */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated'
  constructor(message = 'a valid access key is required') {
    super(message)
    this.name = 'UnauthenticatedError'
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden'
  constructor(message = 'you do not have permission to do this') {
    super(message)
    this.name = 'ForbiddenError'
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not-found'
  /** `what` names the missing thing: "user", `group "ops"`, "one of usersToAdd". */
  constructor(what: string) {
    super(`${what} not found`)
    this.name = 'NotFoundError'
  }
}

/** The change contradicts what exists: a taken name, or the last admin grant. */
export class ConflictError extends DomainError {
  readonly kind = 'conflict'
  constructor(message: string) {
    super(message)
    this.name = 'ConflictError'
  }
}

/** Another one of these already has this name: names are unique per kind. */
export const nameTaken = (kind: string, name: string) =>
  new ConflictError(`a ${kind} named "${name}" already exists`)

/** Refused for now (a rate limit, a user name locked after failed logins): worth trying again after a while. */
export class TooManyAttemptsError extends DomainError {
  readonly kind = 'too-many-attempts'
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message)
    this.name = 'TooManyAttemptsError'
  }
}

/** The database cannot be reached: nothing is wrong with the request, and it is worth sending again soon. */
export class DatabaseUnavailableError extends DomainError {
  readonly kind = 'database-unavailable'
  constructor(readonly retryAfterSeconds = 1) {
    super('the server cannot reach its database')
    this.name = 'DatabaseUnavailableError'
  }
}

export type KnownDomainError =
  | InvalidError
  | UnauthenticatedError
  | ForbiddenError
  | NotFoundError
  | ConflictError
  | TooManyAttemptsError
  | DatabaseUnavailableError

export const isDomainError = (error: unknown): error is KnownDomainError => error instanceof DomainError
