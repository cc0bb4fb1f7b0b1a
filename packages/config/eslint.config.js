// One lint setup for every package: each package's eslint.config.js re-exports this.
// Type-aware: rules that need the type checker read each package's own tsconfig.json.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', '**/generated/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'bench/*.mjs', 'scripts/*.mjs'] },
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'no-console': 'off',
      'no-restricted-syntax': [
        'error',
        {
          // Bundlers rename classes, so `error.name` must be a literal for logs and name-based checks to hold.
          selector:
            "ClassDeclaration[abstract!=true][superClass.name=/Error$/]:not(:has(PropertyDefinition[key.name='name'])):not(:has(AssignmentExpression[left.object.type='ThisExpression'][left.property.name='name']))",
          message: 'An error class sets its `name` (e.g. `override readonly name = "ConfigError"`).',
        },
      ],
    },
  },
  {
    // Plain JavaScript files (configs, scripts) have no types to check.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests poke at untyped JSON responses; `any` there keeps assertions readable.
    files: ['**/test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
)
