import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HELP_PATHS } from '../src/help-index.js'
import { BIN, CLI_VERSION, exec, PACKAGE_DIR, run, runBin, sandbox } from './helpers.js'

const help = JSON.parse(readFileSync(join(PACKAGE_DIR, 'dist', 'help.json'), 'utf8')) as Record<
  string,
  string
>

describe('the bundle', () => {
  it('has the help of every command, exactly as yargs prints it', async () => {
    expect(Object.keys(help)).toEqual(HELP_PATHS)
    for (const path of HELP_PATHS) {
      const live = await run([...path.split(' ').filter(Boolean), '--help'], {})
      expect({ path, text: help[path] }).toEqual({ path, text: live.stdout })
    }
  })

  it('knows every command yargs lists', () => {
    const listed = (text: string) =>
      [...text.matchAll(/^ {2}infra ((?:[a-z]+ ?)+)/gm)].map((match) => (match[1] ?? '').trim())
    const commands = listed(help[''] ?? '')
    expect(commands.length).toBeGreaterThan(10)
    for (const command of commands) {
      expect(HELP_PATHS).toContain(command)
      for (const sub of listed(help[command] ?? '')) expect(HELP_PATHS).toContain(sub)
    }
  })

  it('prints help from the bundle for `infra`, `--help`, `-h` and `<command> --help`', async () => {
    const box = sandbox()
    try {
      for (const args of [[], ['--help'], ['-h']]) {
        expect(await runBin(args, box.env)).toEqual({ code: 0, stdout: help[''], stderr: '' })
      }
      expect(await runBin(['grants', 'add', '--help'], box.env)).toEqual({
        code: 0,
        stdout: help['grants add'],
        stderr: '',
      })
      // Anything else goes through yargs.
      const unknown = await runBin(['nope', '--help'], box.env)
      expect(unknown.code).toBe(0)
      expect(unknown.stdout).toBe(help[''])
    } finally {
      box.cleanup()
    }
  })

  it('`infra version` and `infra --version` work without a server', async () => {
    const box = sandbox()
    try {
      expect(await runBin(['version'], box.env)).toEqual({
        code: 0,
        stdout: `Client: ${CLI_VERSION}\nAPI:    0.22.0\n`,
        stderr: '',
      })
      expect(await runBin(['--version'], box.env)).toEqual({
        code: 0,
        stdout: `${CLI_VERSION}\n`,
        stderr: '',
      })
    } finally {
      box.cleanup()
    }
  })

  it('has only the native keyring as a run-time dependency; everything else is bundled', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'))
    expect(Object.keys(pkg.dependencies)).toEqual(['@napi-rs/keyring'])
    expect(pkg.bin).toEqual({ infra: './dist/infra.js' })
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
  })
})

describe('completion', () => {
  it('bash: the script completes commands, subcommands and flags', async () => {
    const box = sandbox()
    try {
      const complete = async (words: string[]) => {
        const script = [
          'source <(infra completion bash)',
          `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
          `COMP_CWORD=${words.length - 1}`,
          '_infra_yargs_completions',
          'printf "%s\\n" "${COMPREPLY[@]}"',
        ].join('\n')
        const result = await exec('bash', ['-c', script], box.env)
        expect(result.stderr).toBe('')
        return result.stdout.split('\n').filter(Boolean).sort()
      }
      expect(await complete(['infra', 'gr'])).toEqual(['grants', 'groups'])
      expect(await complete(['infra', 'users', ''])).toEqual(['add', 'edit', 'list', 'remove'])
      expect(await complete(['infra', 'keys', 'add', '--t'])).toEqual(['--ttl'])
    } finally {
      box.cleanup()
    }
  })

  it('zsh: the script is a compdef for infra, chosen by argument or $SHELL', async () => {
    const zsh = await run(['completion', 'zsh'], {})
    expect(zsh.stdout.startsWith('#compdef infra\n')).toBe(true)
    expect(zsh.stdout).toContain('infra --get-yargs-completions')
    expect((await run(['completion'], { SHELL: '/usr/bin/zsh' })).stdout).toBe(zsh.stdout)
    expect((await run(['completion'], { SHELL: '/bin/bash' })).stdout).toContain(
      'complete -o bashdefault -o default -F _infra_yargs_completions infra',
    )
    expect((await run(['completion', 'fish'], {})).code).toBe(2)
  })
})
