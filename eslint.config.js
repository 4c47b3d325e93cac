// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.local/**', 'coverage/**', 'infra/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // The dependency rule (STYLE 1): the domain imports no SDK, no adapter, no
    // HTTP layer, and reads neither the environment nor the network.
    files: ['shared/domain/**/*.ts'],
    ignores: ['shared/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@google-cloud/*', '@grpc/*', 'node:*', 'fs', 'http', 'https', 'net', 'child_process'], message: 'the domain stays pure: use a port' },
            { group: ['**/adapters/**', '**/http/**', '**/config.ts', '**/log.ts', '**/functions/**', '**/scripts/**'], message: 'the domain must not import infrastructure' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'the domain stays pure: use a port' },
        { name: 'process', message: 'the domain reads no environment: take it from deps' },
      ],
    },
  },
  {
    // Only shared/config.ts reads the environment (STYLE 7).
    files: ['shared/**/*.ts', 'functions/**/*.ts'],
    ignores: ['shared/config.ts', 'shared/testing/**', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read config through loadConfig()' }],
    },
  },
);
