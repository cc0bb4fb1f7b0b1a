import type { ArgumentsCamelCase } from 'yargs'
import type { Context, GlobalArgs } from '../lib/context.js'
import type { Format } from '../lib/output.js'

export type Args<T = object> = ArgumentsCamelCase<GlobalArgs & { format?: Format } & T>
export type Handler<T = object> = (ctx: Context, args: Args<T>) => Promise<void>
