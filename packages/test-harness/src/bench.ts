export { table, writeBenchResults, type Figure, type Section } from './bench-results.js'
export {
  peakDuring,
  peakMemoryFigure,
  peakResidentMemory,
  residentMemoryMiB,
  type PeakResidentMemory,
} from './resident-memory.js'
export { cpuMilliseconds } from './process-cpu.js'
export { imageNodeFlags } from './image-node-flags.js'
