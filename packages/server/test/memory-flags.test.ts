// The server's memory flags: set as real Node options by its image, and filled in by the bin when missing.
import { describe, expect, it } from '@jest/globals'
import { imageNodeFlags } from '@infra/test-harness/bench'
import { MEMORY_FLAGS, missingMemoryFlags } from '../src/bin/memory-flags.js'

describe('the memory flags', () => {
  it('are what the image runs the server with', () => {
    expect(imageNodeFlags('infra-server')).toEqual(MEMORY_FLAGS)
  })

  it('are missing unless the command line sets them, to any value', () => {
    expect(missingMemoryFlags([])).toEqual(MEMORY_FLAGS)
    expect(missingMemoryFlags(['--inspect', '--max-semi-space-size=8'])).toEqual(['--optimize-for-size'])
    expect(missingMemoryFlags(MEMORY_FLAGS)).toEqual([])
  })
})
