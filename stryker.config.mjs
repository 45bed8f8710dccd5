// @ts-check
/**
 * Mutation testing (StrykerJS with its Vitest runner): `npm run test:mutation`, or one module
 * with `npm run test:mutation -- --mutate lib/consensus.ts`. Not part of `npm test`: it is slow.
 * Results and every surviving mutant are explained in docs/MUTATION.md.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Each mutant runs only the tests that reach its code.
  coverageAnalysis: 'perTest',
  mutate: [
    'server/board-room.ts',
    'server/doc-guard.ts',
    'server/session-server.ts',
    'server/session-commands.ts',
    'server/board-session.ts',
    'server/storage/sqlite-store.ts',
    'lib/consensus.ts',
    'lib/decision-record*.ts',
    'lib/markdown-escape.ts',
  ],
  // Two cores: one mutant per core.
  concurrency: 2,
  timeoutMS: 30_000,
  timeoutFactor: 2.5,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  ignorePatterns: ['data', '.next', 'test-results', 'playwright-report', 'bench/results', 'reports', 'docs'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
