import type { Grant } from '@infra/api-types'
import { describe, expect, it } from '@jest/globals'
import { desiredBindings } from '../src/index.js'

const grant = (fields: Partial<Grant>): Grant => ({
  id: '1',
  created: '2026-01-01T00:00:00Z',
  updated: '2026-01-01T00:00:00Z',
  createdBy: '',
  privilege: 'view',
  resource: 'prod',
  ...fields,
})

const names = { users: new Map([['u1', 'alice@example.com']]), groups: new Map([['g1', 'developers']]) }
const roles = new Set(['view', 'edit', 'cluster-admin'])

describe('desiredBindings', () => {
  it('binds cluster grants cluster-wide and namespace grants in their namespace', () => {
    const { bindings, skipped } = desiredBindings(
      'prod',
      [
        grant({ user: 'u1', privilege: 'view' }),
        grant({ group: 'g1', privilege: 'edit', resource: 'prod.web' }),
      ],
      names,
      roles,
    )
    expect(skipped).toEqual([])
    expect(bindings).toEqual([
      { kind: 'ClusterRoleBinding', role: 'view', subject: { kind: 'User', name: 'alice@example.com' } },
      { kind: 'RoleBinding', namespace: 'web', role: 'edit', subject: { kind: 'Group', name: 'developers' } },
    ])
  })

  it('ignores other destinations and connect grants, and reports unknown roles and subjects', () => {
    const unknownRole = grant({ user: 'u1', privilege: 'made-up' })
    const goneUser = grant({ user: 'u9' })
    const { bindings, skipped } = desiredBindings(
      'prod',
      [
        grant({ user: 'u1', resource: 'stage' }),
        grant({ user: 'u1', privilege: 'connect' }),
        unknownRole,
        goneUser,
      ],
      names,
      roles,
    )
    expect(bindings).toEqual([])
    expect(skipped.map((entry) => entry.grant)).toEqual([unknownRole, goneUser])
  })
})
