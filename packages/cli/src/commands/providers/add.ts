import { defineCommand } from '../define.js'

export const command = defineCommand('add PROVIDER', 'Connect an identity provider', {
  about:
    'Add an identity provider for users to authenticate.\nPROVIDER is a short unique name of the identity provider being added (eg. okta)',
  positionals: { PROVIDER: { type: 'string', demandOption: true } },
  options: {
    'client-id': { type: 'string', describe: 'OIDC client ID' },
    'client-secret': { type: 'string', describe: 'OIDC client secret' },
    kind: {
      type: 'string',
      describe: "The identity provider kind. One of 'oidc, okta, azure, or google'",
      choices: ['oidc', 'okta', 'azure', 'google'],
      default: 'oidc',
    },
    url: {
      type: 'string',
      describe: 'Base URL of the domain of the OIDC identity provider (eg. acme.okta.com)',
    },
  },
  examples: [
    [
      '$0 providers add okta --url example.okta.com --client-id 0oa3sz06o6do0muoW5d7 --client-secret VT_oXtkEDaT7UFY-C3DSRWYb00qyKZ1K1VCq7YzN',
      'Connect okta to infra',
    ],
  ],
})
export default command.handledBy(() => import('./add.handler.js'))
