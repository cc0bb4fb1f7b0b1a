import { z } from 'zod'
import { DestinationName } from './primitives.js'

/** The resource `infra` is reserved: grants on it carry Infra's own roles. */
export const INFRA_RESOURCE = 'infra'
export const INFRA_ROLES = ['admin', 'view', 'connector', 'auditor'] as const
export type InfraRole = (typeof INFRA_ROLES)[number]

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

export interface ParsedResource {
  destination: string
  namespace?: string
}

export type ResourceParseResult = { ok: true; value: ParsedResource } | { ok: false; error: string }

/** Parses Infra's resource notation `destination[.namespace]`. */
export function parseResource(resource: string): ResourceParseResult {
  const dot = resource.indexOf('.')
  const destination = dot === -1 ? resource : resource.slice(0, dot)
  const namespace = dot === -1 ? undefined : resource.slice(dot + 1)
  const destinationCheck = DestinationName.safeParse(destination)
  if (!destinationCheck.success) {
    return {
      ok: false,
      error: `destination name ${destinationCheck.error.issues[0]?.message ?? 'is invalid'}`,
    }
  }
  if (namespace === undefined) return { ok: true, value: { destination } }
  if (namespace.length > 63 || !NAMESPACE.test(namespace)) {
    return {
      ok: false,
      error: 'namespace must be a DNS label: lowercase letters, digits and "-", at most 63 characters',
    }
  }
  if (destination === INFRA_RESOURCE) return { ok: false, error: '"infra" has no namespaces' }
  return { ok: true, value: { destination, namespace } }
}

export function formatResource(resource: ParsedResource): string {
  return resource.namespace === undefined
    ? resource.destination
    : `${resource.destination}.${resource.namespace}`
}

export const Resource = z
  .string()
  .max(512)
  .superRefine((value, ctx) => {
    const parsed = parseResource(value)
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error })
  })
  .meta({
    description: "A resource in Infra's notation: destination[.namespace], or infra",
    example: 'production.web',
  })

export const Privilege = z
  .string()
  .min(1, 'must not be empty')
  .max(253, 'must be at most 253 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9:._-]*$/, 'may contain only letters, digits, ":", ".", "-" and "_"')
