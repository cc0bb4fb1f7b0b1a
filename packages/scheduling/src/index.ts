export { backoffDelay, type Backoff } from './backoff.js'
export { CoalescingTask, type CoalescingTaskOptions } from './coalescing-task.js'
export { every } from './every.js'
