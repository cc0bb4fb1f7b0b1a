/** Headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

/**
 * Headers an API server may take as an identity from an authenticating front proxy (`--requestheader-*`,
 * conventionally `X-Remote-User`, `X-Remote-Group`, `X-Remote-Extra-*`). The connector's own credentials are
 * not a front-proxy certificate, but it never forwards them anyway.
 */
const IDENTITY_PREFIXES = ['impersonate-', 'x-remote-']

/** Request headers the proxy sets itself rather than forwards. */
const REPLACED = new Set(['host', 'authorization', 'audit-id'])

export type RequestCheck =
  | { ok: true; token: string; headers: string[]; upgrade: string | undefined }
  | { ok: false; status: 400 | 401; message: string }

/** Whether a header name carries an identity the caller must not choose (any case, any suffix). */
export function isIdentityHeader(lowerName: string): boolean {
  return IDENTITY_PREFIXES.some((prefix) => lowerName.startsWith(prefix))
}

/** Header tokens of `Connection` (lowercased), which name more headers to drop. */
function connectionTokens(raw: readonly string[]): Set<string> {
  const tokens = new Set<string>()
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== 'connection') continue
    for (const token of (raw[i + 1] ?? '').split(',')) {
      const trimmed = token.trim().toLowerCase()
      if (trimmed) tokens.add(trimmed)
    }
  }
  return tokens
}

/**
 * Checks a request's headers (as Node's flat `rawHeaders`, which keeps duplicates and original case) and
 * returns the bearer token and the headers to forward, as a flat list. A request carrying its own identity
 * headers is refused (400), as is one without exactly one `Authorization: Bearer` (401). Hop-by-hop headers,
 * headers named in `Connection`, `Host`, `Authorization` and identity headers are dropped; the upgrade
 * headers of an upgrade request are rebuilt.
 */
export function checkRequestHeaders(raw: readonly string[], isUpgrade: boolean): RequestCheck {
  const authorizations: string[] = []
  let upgrade: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase()
    if (isIdentityHeader(name)) {
      return { ok: false, status: 400, message: `the header ${raw[i]} is not allowed` }
    }
    if (name === 'authorization') authorizations.push(raw[i + 1] ?? '')
    if (name === 'upgrade') {
      if (upgrade !== undefined) return { ok: false, status: 400, message: 'more than one Upgrade header' }
      upgrade = raw[i + 1] ?? ''
    }
  }
  if (authorizations.length !== 1) {
    return {
      ok: false,
      status: 401,
      message:
        authorizations.length === 0 ? 'a bearer token is required' : 'more than one Authorization header',
    }
  }
  const match = /^Bearer +([^\s,]+) *$/i.exec(authorizations[0] ?? '')
  if (!match?.[1]) return { ok: false, status: 401, message: 'a bearer token is required' }

  const dropped = connectionTokens(raw)
  const headers: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? ''
    const lower = name.toLowerCase()
    if (HOP_BY_HOP.has(lower) || dropped.has(lower) || REPLACED.has(lower)) continue
    headers.push(name, raw[i + 1] ?? '')
  }
  if (isUpgrade) {
    if (!upgrade) return { ok: false, status: 400, message: 'an upgrade request needs an Upgrade header' }
    headers.push('Connection', 'Upgrade', 'Upgrade', upgrade)
  }
  return { ok: true, token: match[1], headers, upgrade: isUpgrade ? upgrade : undefined }
}

/** Response headers to pass back: everything but hop-by-hop headers and those named in `Connection`. */
export function responseHeaders(raw: readonly string[], keep: ReadonlySet<string> = new Set()): string[] {
  const dropped = connectionTokens(raw)
  const headers: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const lower = (raw[i] ?? '').toLowerCase()
    if ((HOP_BY_HOP.has(lower) || dropped.has(lower)) && !keep.has(lower)) continue
    headers.push(raw[i] ?? '', raw[i + 1] ?? '')
  }
  return headers
}

/** The same for a response header object (lowercased names, repeated ones as arrays), as undici gives it. */
export function upstreamResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const dropped = new Set<string>()
  for (const value of [headers.connection ?? []].flat()) {
    for (const token of value.split(',')) dropped.add(token.trim().toLowerCase())
  }
  const kept: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || dropped.has(name)) continue
    kept[name] = value
  }
  return kept
}

/**
 * HTTP carries header values as bytes; Node takes a string whose characters are those bytes. A UTF-8 user
 * or group name becomes those bytes, which the API server reads back as the same UTF-8 string.
 */
export function headerValue(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1')
}

/**
 * Rejects request targets a proxy could misread: anything but an origin-form path, dot segments, encoded
 * slashes, dots or backslashes in the path. The API server authorizes every request as the impersonated user,
 * so this is defence in depth, not the access decision.
 */
export function checkPath(url: string): string | undefined {
  if (!url.startsWith('/') || url.startsWith('//')) return 'the request target must be a path'
  const pathname = url.split('?', 1)[0] ?? ''
  if (/%2f|%5c|%2e|%00|\\/i.test(pathname))
    return 'encoded slashes, dots or backslashes are not allowed in the path'
  if (pathname.split('/').some((segment) => segment === '.' || segment === '..')) {
    return 'dot segments are not allowed in the path'
  }
  return undefined
}
