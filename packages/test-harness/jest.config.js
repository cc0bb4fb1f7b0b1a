import preset from '@infra/config/jest'

export default {
  ...preset,
  globalSetup: './dist/jest-global-setup.js',
  globalTeardown: './dist/jest-global-teardown.js',
}
