import type { ErrorBody, FieldError } from '@infra/api-types'
import type { z } from 'zod'

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
      ...(this.fieldErrors ? { fieldErrors: this.fieldErrors } : {}),
    }
  }
}

export const badRequest = (message: string, fieldErrors?: FieldError[]) =>
  new ApiError(400, message, fieldErrors)
export const unauthorized = (message = 'a valid access key is required') => new ApiError(401, message)
export const forbidden = (message = 'you do not have permission to do this') => new ApiError(403, message)
export const notFound = (what: string) => new ApiError(404, `${what} not found`)
export const conflict = (message: string) => new ApiError(409, message)

/** One entry per bad field, named by its path (`grantsToAdd.0.resource`), as the API reference shows. */
export function fieldErrorsFrom(error: z.ZodError, prefix?: string): FieldError[] {
  const byField = new Map<string, string[]>()
  for (const issue of error.issues) {
    const field = [prefix, ...issue.path.map(String)]
      .filter((part) => part !== undefined && part !== '')
      .join('.')
    const name = field === '' ? (prefix ?? 'body') : field
    byField.set(name, [...(byField.get(name) ?? []), issue.message])
  }
  return [...byField].map(([name, messages]) => ({ [name]: messages }))
}

export function validationError(error: z.ZodError, where: 'body' | 'query' | 'path'): ApiError {
  const fieldErrors = fieldErrorsFrom(error)
  const fields = fieldErrors.map((entry) => Object.keys(entry)[0]).join(', ')
  return badRequest(`invalid ${where === 'path' ? 'path parameter' : where}: ${fields}`, fieldErrors)
}
