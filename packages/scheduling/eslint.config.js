export { default } from '@infra/config/eslint'
