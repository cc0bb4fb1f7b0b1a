import { defineCommand } from './define.js'

export const command = defineCommand(
  'completion [SHELL]',
  'Generate the shell completion script for bash or zsh',
  {
    positionals: { SHELL: { type: 'string', choices: ['bash', 'zsh'], describe: 'default: from $SHELL' } },
    examples: [
      ['$0 completion bash >> ~/.bashrc', 'Complete infra commands in bash'],
      ['$0 completion zsh >> ~/.zshrc', 'Complete infra commands in zsh'],
    ],
  },
)
export default command.handledBy(() => import('./completion.handler.js'))
