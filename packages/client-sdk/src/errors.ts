import { API_VERSION, type FieldError } from '@infra/api-types'
import type { z } from 'zod'

/** The parent of every error the SDK raises, so callers can tell them from their own with one `instanceof`. */
export class InfraError extends Error {
  constructor(
    message: string,
    /** The request that failed, e.g. `GET https://infra.example.com/api/users`. */
    readonly method: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
  // Names are spelled out on each class because minifiers rename classes in browser bundles.
  override name = 'InfraError'
}

export interface InfraApiErrorInit {
  method: string
  url: string
  status: number
  code?: number | undefined
  message: string
  fieldErrors?: FieldError[] | undefined
  retryAfterMs?: number | undefined
}

/** The server answered with an error status (4xx or 5xx) after any retries. */
export class InfraApiError extends InfraError {
  override name = 'InfraApiError'
  readonly status: number
  /** The `code` of the error body; the HTTP status when the body was not Infra's (e.g. a proxy's page). */
  readonly code: number
  /** One entry per bad field, as the server sent them (`[{ fieldName: 'name', errors: ['must not be empty'] }]`). */
  readonly fieldErrors: FieldError[]
  /** How long the server asked to wait (`Retry-After`), when it did. */
  readonly retryAfterMs: number | undefined

  constructor(init: InfraApiErrorInit) {
    super(init.message, init.method, init.url)
    this.status = init.status
    this.code = init.code ?? init.status
    this.fieldErrors = init.fieldErrors ?? []
    this.retryAfterMs = init.retryAfterMs
  }

  /** The messages for one field, merged across entries; empty when the field is fine. */
  errorsFor(field: string): string[] {
    return this.fieldErrors.flatMap((entry) => (entry.fieldName === field ? entry.errors : []))
  }

  isBadRequest(): boolean {
    return this.status === 400
  }
  isUnauthorized(): boolean {
    return this.status === 401
  }
  isForbidden(): boolean {
    return this.status === 403
  }
  isNotFound(): boolean {
    return this.status === 404
  }
  isConflict(): boolean {
    return this.status === 409
  }
  isRateLimited(): boolean {
    return this.status === 429
  }
  isServerError(): boolean {
    return this.status >= 500
  }
}

/** The request never got an HTTP answer: DNS, refused or reset connections, TLS failures. */
export class InfraNetworkError extends InfraError {
  override name = 'InfraNetworkError'
  /** The system or TLS error code when the platform reports one (`ECONNREFUSED`, `SELF_SIGNED_CERT_IN_CHAIN`). */
  readonly code: string | undefined

  constructor(
    message: string,
    method: string,
    url: string,
    options: { cause: unknown; code?: string | undefined },
  ) {
    super(message, method, url, { cause: options.cause })
    this.code = options.code
  }

  /** Whether the failure was the server's certificate not being trusted or not matching. */
  isTLSError(): boolean {
    return this.code !== undefined && isTlsErrorCode(this.code)
  }
}

/** No answer arrived within the client's `timeout`. */
export class InfraTimeoutError extends InfraError {
  override name = 'InfraTimeoutError'
  constructor(
    method: string,
    url: string,
    readonly timeoutMs: number,
  ) {
    super(`${method} ${url} timed out after ${timeoutMs} ms`, method, url)
  }
}

export interface InfraResponseValidationErrorInit {
  method: string
  url: string
  route: string
  status: number
  issues: readonly z.core.$ZodIssue[]
  body: unknown
  detail: string
}

/** The server answered with a success status but a body that does not match the API contract. */
export class InfraResponseValidationError extends InfraError {
  override name = 'InfraResponseValidationError'
  /** The route of the table that was called, e.g. `listUsers`. */
  readonly route: string
  readonly status: number
  /** What zod found wrong; empty when the body was not JSON at all. */
  readonly issues: readonly z.core.$ZodIssue[]
  /** The body as received: parsed JSON, or the text when it was not JSON. */
  readonly body: unknown

  constructor(init: InfraResponseValidationErrorInit) {
    super(
      `${init.method} ${init.url} (${init.route}) answered ${init.status} with a body that does not match ` +
        `the Infra API ${API_VERSION} contract: ${init.detail}. Is the server a compatible Infra version?`,
      init.method,
      init.url,
    )
    this.route = init.route
    this.status = init.status
    this.issues = init.issues
    this.body = init.body
  }
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT)/

export function isTlsErrorCode(code: string): boolean {
  return TLS_CODE.test(code) || code === 'HOSTNAME_MISMATCH'
}

export function isInfraApiError(error: unknown): error is InfraApiError {
  return error instanceof InfraApiError
}
