// @ts-check
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node built-ins and I/O libraries: workflow code must stay deterministic and runs in Temporal's sandbox. */
const workflowBannedModules = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'http',
  'https',
  'http2',
  'net',
  'tls',
  'dns',
  'crypto',
  'child_process',
  'os',
  'worker_threads',
  'mongodb',
  'ky',
  '@connectrpc/*',
  '@temporalio/activity',
  '@temporalio/client',
  '@temporalio/worker',
];

/** Project layers that do I/O; workflows may import their *types* only. */
const workflowBannedProjectLayers = ['clients', 'repositories', 'config', 'activities'];

export default defineConfig(
  {
    ignores: ['src/gen/**', 'dist/**', 'node_modules/**', '.tools/**', '.stack/**', '.build/**', 'coverage/**'],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Test doubles and fixtures often stub loosely typed shapes: keep `any` visible there but non-blocking.
    files: ['test/**/*.ts', 'dev/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    // Determinism guard for workflow code (see notes/house-style.md): no Node built-ins, no I/O modules.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: workflowBannedModules,
              allowTypeImports: true,
              message: 'Workflow code must be deterministic: no Node built-ins or I/O modules. Do this in an activity.',
            },
            {
              regex: `^(\\.\\./)+(${workflowBannedProjectLayers.join('|')})(/.*)?$`,
              allowTypeImports: true,
              message: 'Workflows may only import types from this layer (`import type`); call it through an activity.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use uuid4() from @temporalio/workflow or pass randomness in.' },
        { object: 'Date', property: 'now', message: 'Use workflow time explicitly (workflowInfo() / arguments), not Date.now().' },
      ],
    },
  },
);
