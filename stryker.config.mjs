// @ts-check
import { MUTATION_GROUPS } from './scripts/mutation-groups.mjs';

/**
 * Mutation testing with StrykerJS and its Vitest runner, one group of modules at a time with
 * the tests that target them (vitest.mutation.config.ts reads the same group):
 * `npm run test:mutation` runs every group and writes docs/MUTATION.md's score table;
 * `MUTATION_GROUP=consensus npx stryker run` runs one. Not part of `npm test`: it is slow.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const groupName = process.env.MUTATION_GROUP ?? 'consensus';
const group = MUTATION_GROUPS[groupName];
if (!group) throw new Error(`unknown MUTATION_GROUP "${groupName}"`);

export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Each mutant runs only the tests that reach its code.
  coverageAnalysis: 'perTest',
  mutate: group.mutate,
  // Two cores: one mutant per core.
  concurrency: 2,
  timeoutMS: 30_000,
  timeoutFactor: 2.5,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${groupName}.json` },
  incremental: true,
  incrementalFile: `reports/mutation/${groupName}.incremental.json`,
  ignorePatterns: ['data', '.next', 'test-results', 'playwright-report', 'bench/results', 'reports', 'docs'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
