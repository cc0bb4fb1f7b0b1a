import { defineGroup } from '../define.js'
import add from './add.js'
import addUser from './adduser.js'
import list from './list.js'
import remove from './remove.js'
import removeUser from './removeuser.js'

export default defineGroup('groups', 'Manage groups', [list, add, remove, addUser, removeUser])
