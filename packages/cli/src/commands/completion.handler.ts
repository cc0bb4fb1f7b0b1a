import type { Context } from '../lib/context.js'
import type { ArgsOf } from './define.js'
import type { command } from './completion.js'

// yargs' own completion scripts, with the command fixed to `infra`: the shell asks `infra
// --get-yargs-completions <words>` for the candidates at each tab.
const BASH = `###-begin-infra-completions-###
#
# infra command completion script
#
# Installation: infra completion bash >> ~/.bashrc
#    or infra completion bash >> ~/.bash_profile on OSX.
#
_infra_yargs_completions()
{
    local cur_word args type_list

    cur_word="\${COMP_WORDS[COMP_CWORD]}"
    args=("\${COMP_WORDS[@]}")

    mapfile -t type_list < <(infra --get-yargs-completions "\${args[@]}")
    mapfile -t COMPREPLY < <(compgen -W "$( printf '%q ' "\${type_list[@]}" )" -- "\${cur_word}" |
        awk '/ / { print "\\""$0"\\"" } /^[^ ]+$/ { print $0 }')

    if [ \${#COMPREPLY[@]} -eq 0 ]; then
      COMPREPLY=()
    fi

    return 0
}
complete -o bashdefault -o default -F _infra_yargs_completions infra
###-end-infra-completions-###
`

const ZSH = `#compdef infra
###-begin-infra-completions-###
#
# infra command completion script
#
# Installation: infra completion zsh >> ~/.zshrc
#    or infra completion zsh >> ~/.zprofile on OSX.
#
_infra_yargs_completions()
{
  local reply
  local si=$IFS
  IFS=$'\\n' reply=($(COMP_CWORD="$((CURRENT-1))" COMP_LINE="$BUFFER" COMP_POINT="$CURSOR" infra --get-yargs-completions "\${words[@]}"))
  IFS=$si
  if [[ \${#reply} -gt 0 ]]; then
    _describe 'values' reply
  else
    _default
  fi
}
if [[ "\${zsh_eval_context[-1]}" == "loadautofunc" ]]; then
  _infra_yargs_completions "$@"
else
  compdef _infra_yargs_completions infra
fi
###-end-infra-completions-###
`

export default function completion(ctx: Context, args: ArgsOf<typeof command>): Promise<void> {
  const shell = args.SHELL ?? ((ctx.env.SHELL ?? '').endsWith('zsh') ? 'zsh' : 'bash')
  ctx.io.stdout.write(shell === 'zsh' ? ZSH : BASH)
  return Promise.resolve()
}
