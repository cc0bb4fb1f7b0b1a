// The one place the CLI looks inside the SDK's errors. By name rather than `instanceof`: the SDK is loaded
// only by commands that talk to a server, and importing its classes here would load it for `infra --help`.
import type {
  InfraApiError,
  InfraNetworkError,
  InfraResponseValidationError,
  InfraTimeoutError,
} from '@infra/client-sdk'

interface SdkErrors {
  InfraApiError: InfraApiError
  InfraNetworkError: InfraNetworkError
  InfraTimeoutError: InfraTimeoutError
  InfraResponseValidationError: InfraResponseValidationError
}

/** `error` as the SDK error class `name`, when it is one. */
export function sdkError<N extends keyof SdkErrors>(error: unknown, name: N): SdkErrors[N] | undefined {
  return error instanceof Error && error.name === name ? (error as SdkErrors[N]) : undefined
}

/** The status of the server's error answer; undefined for any other failure. */
export const apiStatus = (error: unknown): number | undefined => sdkError(error, 'InfraApiError')?.status

export const isTlsFailure = (error: unknown): boolean =>
  sdkError(error, 'InfraNetworkError')?.isTLSError() === true
