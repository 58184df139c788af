import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'training/**', 'bench/out/**', 'bench/replay/heldout/**', 'out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', window: 'readonly', document: 'readonly',
        navigator: 'readonly', self: 'readonly', URL: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', performance: 'readonly', fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', {
        selector: 'Program > VariableDeclaration[kind="let"]',
        message: 'No module-level mutable state in src/ (house rule): keep state in an object that is created and disposed.',
      }],
    },
  },
  {
    // The engine's façade (src/engine/index.ts) is its only door. Test support (src/testing/) may
    // reach inside: it builds doubles of engine parts for the engine's own tests.
    files: ['src/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'e2e/**/*.ts', 'scripts/**/*.mjs', 'e2e/**/*.mjs', 'bench/**/*.mjs'],
    ignores: ['src/engine/**', 'src/testing/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          group: ['**/engine/api/**', '**/engine/worker/**', '**/engine/backends/**'],
          message: 'Import the engine through its façade, src/engine/index.ts.',
        }],
      }],
    },
  },
);
