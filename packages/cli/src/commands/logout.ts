import { defineCommand } from './define.js'

export const command = defineCommand('logout [SERVER]', 'Log out of Infra', {
  about:
    'Log out of Infra\nNote: [SERVER] and [--all] cannot be both specified. Choose either one or all servers.',
  positionals: { SERVER: { type: 'string', describe: 'Infra server to log out of' } },
  options: {
    all: { type: 'boolean', describe: 'logout of all servers' },
    clear: { type: 'boolean', describe: 'clear from list of servers' },
  },
  examples: [
    ['$0 logout', 'Log out of current server'],
    ['$0 logout infraexampleserver.com', 'Log out of a specific server'],
    ['$0 logout --all', 'Logout of all servers'],
    ['$0 logout --clear', 'Log out of current server and clear from list'],
    ['$0 logout infraexampleserver.com --clear', 'Log out of a specific server and clear from list'],
    ['$0 logout --all --clear', 'Logout and clear list of all servers'],
  ],
})
export default command.handledBy(() => import('./logout.handler.js'))
