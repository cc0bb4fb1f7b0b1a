export { table, writeBenchResults, type Figure, type Section } from './bench-results.js'
export { peakResidentMemory, residentMemoryMiB, type PeakResidentMemory } from './resident-memory.js'
