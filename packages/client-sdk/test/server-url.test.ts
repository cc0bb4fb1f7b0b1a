import { describe, expect, it } from '@jest/globals'
import { parseServerUrl } from '../src/server-url.js'

describe('parseServerUrl', () => {
  it.each([
    ['infra.example.com', 'https://infra.example.com'],
    ['infra.example.com:8443', 'https://infra.example.com:8443'],
    ['  infra.example.com  ', 'https://infra.example.com'],
    ['localhost:8080', 'https://localhost:8080'],
    ['127.0.0.1:80', 'https://127.0.0.1:80'],
    ['[::1]:8443', 'https://[::1]:8443'],
    ['https://infra.example.com/', 'https://infra.example.com'],
    ['https://infra.example.com:443', 'https://infra.example.com'],
    ['HTTPS://Infra.Example.com', 'https://infra.example.com'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['https://proxy.example.com/infra/', 'https://proxy.example.com/infra'],
    ['proxy.example.com/infra', 'https://proxy.example.com/infra'],
  ])('reads %s as %s', (input, expected) => {
    expect(parseServerUrl(input)).toBe(expected)
  })

  it('rejects a missing server', () => {
    expect(() => parseServerUrl(undefined as unknown as string)).toThrow(/server is required/)
  })

  it.each([
    ['', /server is required/],
    ['ftp://infra.example.com', /http:\/\/ or https:\/\//],
    ['https://user:secret@infra.example.com', /credentials/],
    ['https://infra.example.com/?x=1', /query string/],
    ['http://', /not a valid/],
    ['infra example.com', /not a valid/],
  ])('rejects %j', (input, message) => {
    expect(() => parseServerUrl(input)).toThrow(message)
  })
})
