import type { Readable, Writable } from 'node:stream'
import { CliError, type Context } from './context.js'

/** Prompts through @clack/prompts on the terminal (stdin and stderr, so stdout stays clean for scripts). */
export interface Prompter {
  text(
    message: string,
    options?: { placeholder?: string; validate?: (value: string) => string | undefined },
  ): Promise<string>
  password(message: string, options?: { validate?: (value: string) => string | undefined }): Promise<string>
  select<T extends string>(
    message: string,
    options: { value: T; label: string; hint?: string | undefined }[],
  ): Promise<T>
  confirm(message: string, initial?: boolean): Promise<boolean>
}

export async function prompter(ctx: Context): Promise<Prompter> {
  const clack = await import('@clack/prompts')
  const common = {
    input: ctx.io.stdin as Readable,
    output: ctx.io.stderr as unknown as Writable,
    withGuide: false,
  }
  function answer<T>(value: T | symbol): Exclude<T, symbol> {
    if (clack.isCancel(value) || typeof value === 'symbol') throw new CliError('cancelled', undefined, 130)
    return value as Exclude<T, symbol>
  }
  return {
    text: async (message, options = {}) =>
      answer(
        await clack.text({
          ...common,
          ...options,
          message,
          validate: (value) => options.validate?.(value ?? ''),
        }),
      ).trim(),
    password: async (message, options = {}) =>
      answer(
        await clack.password({ ...common, message, validate: (value) => options.validate?.(value ?? '') }),
      ),
    select: async (message, options) =>
      answer(
        await clack.select({
          ...common,
          message,
          options: options as Parameters<typeof clack.select>[0]['options'],
        }),
      ) as never,
    confirm: async (message, initial = false) =>
      answer(await clack.confirm({ ...common, message, initialValue: initial })),
  }
}
