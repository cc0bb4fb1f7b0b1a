import { defineGroup } from '../define.js'
import add from './add.js'
import list from './list.js'
import remove from './remove.js'

export default defineGroup('keys', 'Manage access keys', [list, add, remove])
