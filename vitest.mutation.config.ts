import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing runs (stryker.config.mjs): the unit tests and the integration
 * tests that exercise the mutated modules in one process. Left out: suites that start server
 * processes or wait on real timeouts (crash recovery, the data-directory lock, process guards,
 * HTTP timeouts and limits, the fuzz run), which reach none of the mutated code in-process.
 */
export default defineConfig({
  resolve: { alias: { '@': path.resolve(import.meta.dirname) } },
  test: {
    include: [
      'tests/unit/**/*.test.ts',
      'tests/integration/anonymity.test.ts',
      'tests/integration/commit-order.test.ts',
      'tests/integration/decision-record-export.test.ts',
      'tests/integration/doc-hardening.test.ts',
      'tests/integration/doc-policy.test.ts',
      'tests/integration/doc-sync.test.ts',
      'tests/integration/evidence.test.ts',
      'tests/integration/roles.test.ts',
      'tests/integration/rounds.test.ts',
      'tests/integration/session-channel.test.ts',
      'tests/integration/session-joining.test.ts',
      'tests/integration/session-rate-limits.test.ts',
      'tests/integration/storage-contract.test.ts',
      'tests/integration/storage-health.test.ts',
    ],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
