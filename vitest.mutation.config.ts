import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { MUTATION_GROUPS } from './scripts/mutation-groups.mjs';

/** The tests of one mutation group (MUTATION_GROUP, see scripts/mutation-groups.mjs). */
const group = MUTATION_GROUPS[(process.env.MUTATION_GROUP ?? 'consensus') as keyof typeof MUTATION_GROUPS];
/**
 * MUTATION_TESTS (comma-separated files) narrows a run to some of the group's tests, e.g. its
 * fast unit tests while iterating on a slow group; the score is then a lower bound.
 */
const only = (process.env.MUTATION_TESTS ?? '').split(',').filter(Boolean);

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: only.length > 0 ? only : group.tests,
    environment: 'node',
    // MUTATION_TEST_TIMEOUT_MS shortens the wait for a mutant that makes a test hang (it
    // then fails, i.e. is killed, sooner); the default suits the slowest integration test.
    testTimeout: Number(process.env.MUTATION_TEST_TIMEOUT_MS ?? 30_000),
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
