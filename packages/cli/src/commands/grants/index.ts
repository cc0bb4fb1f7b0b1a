import { defineGroup } from '../define.js'
import add from './add.js'
import list from './list.js'
import remove from './remove.js'

export default defineGroup('grants', 'Manage access to destinations', [list, add, remove])
