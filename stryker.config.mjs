// @ts-check
import fs from 'node:fs';
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
/**
 * MUTATION_FILES (comma-separated, each one of the group's files) mutates only those files of a
 * slow group; their report is `<group>-<file names>.json`, so it does not replace the report of
 * the group's other files. MUTATION_TESTS narrows the tests (vitest.mutation.config.ts).
 */
const files = (process.env.MUTATION_FILES ?? '').split(',').filter(Boolean);
const report =
  files.length === 0
    ? groupName
    : `${groupName}-${files.map((f) => f.replace(/^.*\//, '').replace(/\.ts$/, '')).join('+')}`;
// What the run covers, for scripts/mutation.ts's table: a report made with only some of the
// group's tests gives a lower bound.
fs.mkdirSync('reports/mutation', { recursive: true });
fs.writeFileSync(
  `reports/mutation/${report}.run.json`,
  `${JSON.stringify({ group: groupName, files, tests: (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean) })}\n`,
);

export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // Each mutant runs only the tests that reach its code.
  coverageAnalysis: 'perTest',
  mutate: files.length > 0 ? files : group.mutate,
  // Two cores: one mutant per core.
  concurrency: 2,
  timeoutMS: 30_000,
  timeoutFactor: 2.5,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${report}.json` },
  incremental: true,
  incrementalFile: `reports/mutation/${report}.incremental.json`,
  ignorePatterns: ['data', '.next', 'test-results', 'playwright-report', 'bench/results', 'reports', 'docs'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
