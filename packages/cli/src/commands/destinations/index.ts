import { defineGroup } from '../define.js'
import list from './list.js'
import remove from './remove.js'

export default defineGroup('destinations', 'Manage destinations', [list, remove])
