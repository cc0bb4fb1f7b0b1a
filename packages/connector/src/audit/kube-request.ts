/** What a Kubernetes API request is about, as the API server's own request info derives it from the path. */
export interface KubeRequestInfo {
  verb: string
  /** '' for the core group (`/api/v1`). */
  apiGroup: string
  apiVersion?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  /** A request for the API's description (`/api`, `/apis`, group versions, `/openapi`, `/version`), not a resource. */
  discovery: boolean
}

/** Sub-resources of a namespace itself (`/api/v1/namespaces/web/status`), not a resource type inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize'])
const NON_RESOURCE_DISCOVERY = ['/version', '/openapi']

function collectionVerb(method: string, hasName: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return hasName ? 'get' : 'list'
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return hasName ? 'delete' : 'deletecollection'
    default:
      return method.toLowerCase()
  }
}

/** Describes a request by its method and target (path and query), as the API server would authorize it. */
export function describeRequest(method: string, url: string): KubeRequestInfo {
  const [pathname = '/', search = ''] = url.split('?', 2)
  const parts = pathname.split('/').filter(Boolean)
  const isCore = parts[0] === 'api'
  if (!isCore && parts[0] !== 'apis') {
    return {
      verb: method.toLowerCase(),
      apiGroup: '',
      discovery: NON_RESOURCE_DISCOVERY.some(
        (prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`),
      ),
    }
  }
  const apiGroup = isCore ? '' : (parts[1] ?? '')
  const apiVersion = isCore ? parts[1] : parts[2]
  let rest = parts.slice(isCore ? 2 : 3)
  const query = new URLSearchParams(search)
  const watchQuery = query.get('watch')
  let watch = watchQuery === 'true' || watchQuery === '1'
  // The deprecated `/api/v1/watch/...` form.
  if (rest[0] === 'watch') {
    watch = true
    rest = rest.slice(1)
  }
  // Built by assignment: object spreads would cost more than the rest on the proxy's hot path.
  const info: KubeRequestInfo = { verb: 'get', apiGroup, discovery: rest.length === 0 }
  if (apiVersion) info.apiVersion = apiVersion
  if (info.discovery) return info
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    namespace = rest[1]
    if (rest.length >= 3 && !NAMESPACE_SUBRESOURCES.has(rest[2] ?? '')) rest = rest.slice(2)
  }
  const [resource, name, subresource] = rest
  info.verb = watch && method === 'GET' ? 'watch' : collectionVerb(method, name !== undefined)
  if (resource) info.resource = resource
  if (subresource) info.subresource = subresource
  if (namespace) info.namespace = namespace
  if (name) info.name = name
  return info
}

/** Query parameters whose values may be credentials; a request's recorded target has them replaced. */
const SECRET_PARAMETER = /token|secret|passw|pwd|key|auth|credential|signature|session/i
const REDACTED = 'REDACTED'

/** The request target (path and query) as it may be recorded: secret-looking query values replaced. */
export function recordedRequestUri(url: string): string {
  const split = url.indexOf('?')
  if (split === -1) return url
  const kept = url
    .slice(split + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=')
      const name = equals === -1 ? pair : pair.slice(0, equals)
      let decoded = name
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '))
      } catch {
        // a malformed escape: judged as written
      }
      return equals !== -1 && SECRET_PARAMETER.test(decoded) ? `${name}=${REDACTED}` : pair
    })
  return `${url.slice(0, split)}?${kept.join('&')}`
}
