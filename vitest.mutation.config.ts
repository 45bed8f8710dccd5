import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { MUTATION_GROUPS } from './scripts/mutation-groups.mjs';

/** The tests of one mutation group (MUTATION_GROUP, see scripts/mutation-groups.mjs). */
const group = MUTATION_GROUPS[(process.env.MUTATION_GROUP ?? 'consensus') as keyof typeof MUTATION_GROUPS];

export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: group.tests,
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
