import { describe, expect, it } from '@jest/globals'
import { contextName, isInfraEntry, parseContextName } from '../src/index.js'

describe('kubeconfig entry names', () => {
  it('round-trips destinations and namespaces', () => {
    expect(contextName('prod')).toBe('infra:prod')
    expect(contextName('prod', 'web')).toBe('infra:prod.web')
    expect(parseContextName('infra:prod.web')).toEqual({ destination: 'prod', namespace: 'web' })
  })

  it('leaves other contexts alone', () => {
    expect(isInfraEntry('kind-kind')).toBe(false)
    expect(parseContextName('kind-kind')).toBeUndefined()
    expect(parseContextName('infra:bad name')).toBeUndefined()
  })
})
