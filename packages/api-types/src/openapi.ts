import { z } from 'zod'
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi'
import { API_VERSION, INFRA_VERSION_HEADER, LAST_UPDATE_INDEX_HEADER } from './primitives.js'
import { routes, type RouteDefinition } from './routes.js'
import { ErrorBody } from './schemas/errors.js'

const versionHeader = z.object({
  [INFRA_VERSION_HEADER]: z
    .string()
    .meta({ description: 'Version of the API being requested', example: API_VERSION }),
})

const jsonContent = (schema: z.ZodType) => ({ 'application/json': { schema } })

const errorResponse = (description: string) => ({ description, content: jsonContent(ErrorBody) })

/** Routes whose body names other resources (a grant's user or group, a key's user): 404 when one does not exist. */
const REFERENCES_IN_BODY: ReadonlySet<string> = new Set(['createGrant', 'patchGrants', 'createAccessKey'])
/** Creations that answer 200 with the existing resource, rather than 201, when it already exists. */
const OK_WHEN_EXISTING: ReadonlySet<string> = new Set(['createGrant'])
/** Deletions that can take away the last admin grant on infra, which the server refuses with 409. */
const GUARDS_LAST_ADMIN: ReadonlySet<string> = new Set(['deleteUser', 'deleteGroup', 'deleteGrant'])

function errorResponsesFor(name: string, definition: RouteDefinition) {
  const responses: Record<string, ReturnType<typeof errorResponse>> = {
    '400': errorResponse('Invalid request parameters'),
    '429': errorResponse('Too many requests'),
    '431': errorResponse('The request line and headers are too large'),
    '500': errorResponse('Internal error'),
    '503': errorResponse('The server took too long to answer, or is shutting down; retry'),
  }
  if (definition.access !== 'public') {
    responses['401'] = errorResponse('No valid access key was provided')
    responses['403'] = errorResponse('The caller lacks the permission this route needs')
  }
  if (name === 'login')
    responses['401'] = errorResponse('The access key or the name and password are not valid')
  if (definition.params || REFERENCES_IN_BODY.has(name)) responses['404'] = errorResponse('Not found')
  if (definition.method === 'POST' || definition.method === 'PUT' || definition.method === 'PATCH') {
    responses['409'] = errorResponse('Conflicts with an existing resource')
    responses['413'] = errorResponse('Request body too large')
  }
  if (GUARDS_LAST_ADMIN.has(name))
    responses['409'] = errorResponse('Would remove the last admin grant on infra')
  return responses
}

function operationFor(name: string, definition: RouteDefinition): ZodOpenApiOperationObject {
  const success = definition.response
    ? {
        description: 'Success',
        content: jsonContent(definition.response),
        ...(definition.longPoll
          ? { headers: { [LAST_UPDATE_INDEX_HEADER]: { schema: { type: 'string' as const } } } }
          : {}),
      }
    : { description: 'Success, no content' }
  const operation: ZodOpenApiOperationObject = {
    operationId: name,
    summary: definition.summary,
    tags: [definition.tag],
    security: definition.access === 'public' ? [] : [{ accessKey: [] }],
    requestParams: {
      ...(definition.params ? { path: definition.params } : {}),
      ...(definition.query instanceof z.ZodObject ? { query: definition.query } : {}),
      ...(definition.unversioned ? {} : { header: versionHeader }),
    },
    responses: {
      [String(definition.successStatus)]: success,
      ...(OK_WHEN_EXISTING.has(name) && definition.response
        ? {
            '200': {
              description: 'It already existed: the existing one',
              content: jsonContent(definition.response),
            },
          }
        : {}),
      ...(definition.longPoll
        ? { '304': { description: 'Nothing changed before the long poll timed out' } }
        : {}),
      ...errorResponsesFor(name, definition),
    },
  }
  if (definition.body) {
    operation.requestBody = {
      required: !definition.body.safeParse(undefined).success,
      content: jsonContent(definition.body),
    }
  }
  return operation
}

/** Builds the OpenAPI 3.1 document of the whole API from the route table. */
export function createOpenApiDocument(): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {}
  for (const [name, definition] of Object.entries(routes) as [string, RouteDefinition][]) {
    const item = (paths[definition.path] ??= {})
    item[definition.method.toLowerCase() as Lowercase<RouteDefinition['method']>] = operationFor(
      name,
      definition,
    )
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Infra API',
      version: API_VERSION,
      description:
        'Access management for Kubernetes: users, groups, grants, identity providers and destinations.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: 'http://localhost:8080' }],
    components: {
      securitySchemes: {
        accessKey: { type: 'http', scheme: 'bearer', description: 'An Infra access key: <keyID>.<secret>' },
      },
    },
    paths,
  })
}
