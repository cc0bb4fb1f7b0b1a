import shared from '@infra/config/eslint'

// fuzz/.venv holds the Python virtualenv that fuzz/run.sh creates, with third-party JavaScript inside.
export default [{ ignores: ['fuzz/.venv/**', 'fuzz/schemathesis-report/**'] }, ...shared]
