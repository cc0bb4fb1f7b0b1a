import { defineGroup } from '../define.js'
import add from './add.js'
import edit from './edit.js'
import list from './list.js'
import remove from './remove.js'

export default defineGroup('users', 'Manage users', [add, edit, list, remove])
