import { z } from 'zod'
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi'
import { API_VERSION, INFRA_VERSION_HEADER, LAST_UPDATE_INDEX_HEADER } from './primitives.js'
import { routes, type RouteDefinition } from './routes.js'
import { ErrorBody } from './schemas/errors.js'

const versionHeader = z.object({
  [INFRA_VERSION_HEADER]: z.string().meta({
    description:
      'Version of the API being requested. Clients of earlier versions send and receive the field names of ' +
      'their version (e.g. ttl and extensionDeadline on access keys up to 0.18.0); this document shows the current ones.',
    example: API_VERSION,
  }),
})

const jsonContent = (schema: z.ZodType) => ({ 'application/json': { schema } })
/** A stream's schema is that of each line. */
const ndjsonContent = (schema: z.ZodType) => ({ 'application/x-ndjson': { schema } })

const errorResponse = (description: string) => ({ description, content: jsonContent(ErrorBody) })

function errorResponsesFor(definition: RouteDefinition) {
  const responses: Record<string, ReturnType<typeof errorResponse>> = {
    '400': errorResponse('Invalid request parameters'),
    '429': errorResponse('Too many requests'),
    '431': errorResponse('The request line and headers are too large'),
    '500': errorResponse('Internal error'),
    '503': errorResponse(
      'The server cannot reach its database, took too long to answer, or is shutting down; retry after Retry-After',
    ),
  }
  if (definition.access !== 'public') {
    responses['401'] = errorResponse('No valid access key was provided')
    responses['403'] = errorResponse('The caller lacks the permission this route needs')
  }
  if (definition.credentialsInBody)
    responses['401'] = errorResponse('The access key or the name and password are not valid')
  if (definition.params || definition.referencesInBody) responses['404'] = errorResponse('Not found')
  if (definition.method === 'POST' || definition.method === 'PUT' || definition.method === 'PATCH') {
    responses['409'] = errorResponse('Conflicts with an existing resource')
    responses['413'] = errorResponse('Request body too large')
  }
  if (definition.guardsLastAdmin)
    responses['409'] = errorResponse('Would remove the last admin grant on infra')
  return responses
}

function operationFor(name: string, definition: RouteDefinition): ZodOpenApiOperationObject {
  const success = definition.response
    ? {
        description: definition.streams ? 'Success: one JSON object per line' : 'Success',
        content: (definition.streams ? ndjsonContent : jsonContent)(definition.response),
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
      ...(definition.okWhenExisting && definition.response
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
      ...errorResponsesFor(definition),
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
    servers: [{ url: 'https://localhost:8443' }],
    components: {
      securitySchemes: {
        accessKey: { type: 'http', scheme: 'bearer', description: 'An Infra access key: <keyID>.<secret>' },
      },
    },
    paths,
  })
}
