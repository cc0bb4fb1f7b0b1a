import { withDefaultScheme } from '@infra/api-types'

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i

/**
 * Turns what a person types for a server (`infra.example.com`, `localhost:8080`, `https://host/prefix`)
 * into the base URL every API path is appended to. A bare host means https: plain http must be asked for.
 */
export function parseServerUrl(server: string): string {
  // Checked at run time too: plain JavaScript callers often pass an unset environment variable.
  const text = typeof server === 'string' ? server.trim() : ''
  if (text === '') throw new TypeError('server is required: pass a host, host:port or URL')
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase()
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new TypeError(`server "${server}" must be an http:// or https:// URL, not ${scheme}://`)
  }
  let url: URL
  try {
    url = new URL(withDefaultScheme(text))
  } catch {
    throw new TypeError(`server "${server}" is not a valid host, host:port or URL`)
  }
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('server must not contain credentials: pass the access key as accessKey')
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`server "${server}" must not have a query string or fragment`)
  }
  // A server behind a path prefix keeps it; route paths start with "/", so the base must not end with one.
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//${url.host}${path}`
}
