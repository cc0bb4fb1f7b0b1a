import { defineGroup } from '../define.js'
import add from './add.js'

export default defineGroup('tokens', 'Create tokens for kubectl', [add])
