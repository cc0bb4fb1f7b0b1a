export { default } from '@infra/config/jest'
