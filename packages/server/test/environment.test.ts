import { describe, expect, it } from '@jest/globals'
import { environmentHelp, optionsFromEnvironment } from '../src/bin/environment.js'

describe('the options the environment sets', () => {
  it('are the named variables only', () => {
    expect(
      optionsFromEnvironment({
        INFRA_SERVER_PORT: '9443',
        INFRA_SERVER_TLS_CERT: '/tls/tls.crt',
        INFRA_SERVER_TLS_KEY: '/tls/tls.key',
        INFRA_SERVER_SERVICE_HOST: '10.0.0.5',
        INFRA_SERVER_SOMETHING: 'else',
      }),
    ).toEqual({ port: '9443', 'tls-cert': '/tls/tls.crt', 'tls-key': '/tls/tls.key' })
  })

  it('set the workers and the access log', () => {
    expect(optionsFromEnvironment({ INFRA_SERVER_WORKERS: '3', INFRA_SERVER_ACCESS_LOG: '0.25' })).toEqual({
      workers: '3',
      'access-log': '0.25',
    })
  })

  it('split INFRA_SERVER_TLS_HOSTNAMES at commas', () => {
    expect(optionsFromEnvironment({ INFRA_SERVER_TLS_HOSTNAMES: 'infra.example.com, 10.0.0.5,,' })).toEqual({
      'tls-hostname': ['infra.example.com', '10.0.0.5'],
    })
  })

  it('take INFRA_SERVER_INSECURE_HTTP as true or false only; false is as if unset', () => {
    expect(optionsFromEnvironment({ INFRA_SERVER_INSECURE_HTTP: 'true' })).toEqual({ 'insecure-http': true })
    expect(optionsFromEnvironment({ INFRA_SERVER_INSECURE_HTTP: 'false' })).toEqual({})
    expect(() => optionsFromEnvironment({ INFRA_SERVER_INSECURE_HTTP: 'yes' })).toThrow(
      'INFRA_SERVER_INSECURE_HTTP must be true or false, not "yes"',
    )
  })

  it('ignore a Kubernetes service link in INFRA_SERVER_PORT and refuse anything else that is not a port', () => {
    expect(optionsFromEnvironment({ INFRA_SERVER_PORT: 'tcp://10.0.0.5:443' })).toEqual({})
    expect(() => optionsFromEnvironment({ INFRA_SERVER_PORT: 'https' })).toThrow('must be a port number')
  })

  it('are each listed in --help', () => {
    for (const variable of [
      'INFRA_SERVER_TLS_CERT',
      'INFRA_SERVER_TLS_KEY',
      'INFRA_SERVER_TLS_HOSTNAMES',
      'INFRA_SERVER_INSECURE_HTTP',
      'INFRA_SERVER_WORKERS',
      'INFRA_SERVER_ACCESS_LOG',
    ]) {
      expect(environmentHelp()).toContain(variable)
    }
  })
})
