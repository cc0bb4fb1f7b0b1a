import { AccessKeySecret, INFRA_ROLES, UserName } from '@infra/api-types'
import { readFile } from 'node:fs/promises'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

/** Users declared in the server's configuration file, made sure of at every start. */
export const ConfigFile = z
  .object({
    users: z
      .array(
        z
          .object({
            name: UserName,
            password: z.string().min(8).optional(),
            accessKey: AccessKeySecret.optional(),
            role: z.enum(INFRA_ROLES).optional(),
          })
          .strict(),
      )
      .optional()
      .default([]),
  })
  .strict()
export type ConfigFile = z.output<typeof ConfigFile>

export async function loadConfigFile(path: string): Promise<ConfigFile> {
  const text = await readFile(path, 'utf8')
  const result = ConfigFile.safeParse(parseYaml(text) ?? {})
  if (!result.success) {
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.')}: ${issue.message}`)
      .join('; ')
    throw new Error(`invalid configuration file ${path}: ${problems}`)
  }
  return result.data
}
