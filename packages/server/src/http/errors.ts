import type { ErrorBody, FieldError } from '@infra/api-types'
import type { z } from 'zod'
import { fieldError, invalidFields, type InvalidError, type KnownDomainError } from '../domain/errors.js'

/** An error meant for the caller: its status and message reach the response as the documented error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors?: FieldError[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }

  toBody(): ErrorBody {
    return {
      code: this.status,
      message: this.message,
      fieldErrors: this.fieldErrors,
    }
  }
}

/** The one place a domain error becomes a status and the documented error body. */
export function apiErrorFrom(error: KnownDomainError): ApiError {
  switch (error.kind) {
    case 'invalid':
      return new ApiError(400, error.message, error.fieldErrors)
    case 'unauthenticated':
      return new ApiError(401, error.message)
    case 'forbidden':
      return new ApiError(403, error.message)
    case 'not-found':
      return new ApiError(404, error.message)
    case 'conflict':
      return new ApiError(409, error.message)
    case 'too-many-attempts':
      return new ApiError(429, error.message, undefined, { 'Retry-After': String(error.retryAfterSeconds) })
    case 'database-unavailable':
      return new ApiError(503, error.message, undefined, { 'Retry-After': String(error.retryAfterSeconds) })
  }
}

/** One entry per bad field, named by its path (`grantsToAdd.0.resource`), as the API reference shows. */
function fieldErrorsFrom(error: z.ZodError): FieldError[] {
  const byField = new Map<string, string[]>()
  for (const issue of error.issues) {
    const name =
      issue.path
        .map(String)
        .filter((part) => part !== '')
        .join('.') || 'body'
    byField.set(name, [...(byField.get(name) ?? []), issue.message])
  }
  return [...byField].map(([name, messages]) => fieldError(name, ...messages))
}

export const validationError = (error: z.ZodError, where: 'body' | 'query' | 'path'): InvalidError =>
  invalidFields(where, fieldErrorsFrom(error))
