import { defineGroup } from '../define.js'
import exportCommand from './export.js'
import list from './list.js'
import show from './show.js'
import tail from './tail.js'
import verify from './verify.js'

export default defineGroup('audit', 'Read, follow, export and verify the audit log', [
  list,
  tail,
  show,
  exportCommand,
  verify,
])
