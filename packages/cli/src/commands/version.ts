import { API_VERSION } from '@infra/api-types'
import type { CommandModule } from 'yargs'
import { CLI_VERSION } from '../version.js'

export interface Output {
  write(text: string): void
}

export function versionCommand(out: Output): CommandModule {
  return {
    command: 'version',
    describe: 'Display the Infra version',
    handler: () => {
      out.write(`Client: ${CLI_VERSION}\nAPI:    ${API_VERSION}\n`)
    },
  }
}
