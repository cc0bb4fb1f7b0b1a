import type { InfraApiError } from '@infra/client-sdk'
import { CliError, type Context } from './context.js'
import { sdkError } from './sdk-errors.js'

function originOf(url: string | undefined): string {
  if (!url) return 'the server'
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** `invalid name: must not contain whitespace` from the server's field errors, else its message. */
function apiMessage(error: InfraApiError): string {
  const parts = error.fieldErrors.map((entry) => `invalid ${entry.fieldName}: ${entry.errors.join(', ')}`)
  return parts.length > 0 ? parts.join('; ') : error.message
}

/** The message at the bottom of a chain of causes ("fetch failed" → "bad port"). */
function innermostMessage(error: unknown): string | undefined {
  let current = (error as { cause?: unknown })?.cause
  let message: string | undefined
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const text = (current as { message?: unknown }).message
    if (typeof text === 'string' && text !== '') message = text
    current = (current as { cause?: unknown }).cause
  }
  return message
}

/** Turns any error into a CliError with a one-line hint. */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error
  const network = sdkError(error, 'InfraNetworkError')
  if (network) {
    const origin = originOf(network.url)
    if (network.isTLSError()) {
      return new CliError(
        `the TLS certificate of ${origin} is not trusted (${network.code})`,
        'run infra login to review and trust it, or pass --skip-tls-verify for self-signed certificates',
      )
    }
    const reason = network.code ?? innermostMessage(error)
    return new CliError(
      `could not reach ${origin}${reason ? ` (${reason})` : ''}`,
      'is the server running? (--skip-tls-verify for self-signed certificates)',
    )
  }
  const timeout = sdkError(error, 'InfraTimeoutError')
  if (timeout)
    return new CliError(
      `${originOf(timeout.url)} did not answer in time`,
      'is the server overloaded? try again',
    )
  const api = sdkError(error, 'InfraApiError')
  if (api) {
    const message = apiMessage(api)
    if (api.status === 403) return new CliError(message, 'ask an admin of this Infra server for access')
    if (api.status === 429) return new CliError(message, 'too many requests: wait a moment and try again')
    if (api.status === 503) return new CliError(message, 'gave up retrying: try again later')
    if (api.status >= 500) return new CliError(message, 'the server failed: check its logs, then try again')
    return new CliError(message)
  }
  const invalid = sdkError(error, 'InfraResponseValidationError')
  if (invalid) return new CliError(invalid.message, 'are the CLI and server versions compatible?')
  if (error instanceof Error) return new CliError(error.message)
  return new CliError(String(error))
}

export function reportError(ctx: Pick<Context, 'io' | 'style'>, error: unknown): number {
  const cliError = toCliError(error)
  ctx.io.stderr.write(`${ctx.style.red('error:')} ${cliError.message}\n`)
  if (cliError.hint) ctx.io.stderr.write(`${ctx.style.dim('hint:')} ${cliError.hint}\n`)
  return cliError.exitCode
}
