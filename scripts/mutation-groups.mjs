/**
 * The modules mutation testing covers, in groups, each with the tests that target it. Shared by
 * stryker.config.mjs (what to mutate) and vitest.mutation.config.ts (what to run). Suites that
 * start server processes or wait on real timeouts are left out: they reach no mutated code
 * in-process and would make every mutant slow.
 */
export const MUTATION_GROUPS = {
  consensus: {
    mutate: ['lib/consensus.ts'],
    tests: ['tests/unit/consensus.test.ts', 'tests/unit/consensus-wording.test.ts'],
  },
  escape: {
    mutate: ['lib/markdown-escape.ts'],
    tests: ['tests/unit/decision-record.test.ts'],
  },
  record: {
    mutate: ['lib/decision-record*.ts'],
    tests: [
      'tests/unit/decision-record.test.ts',
      'tests/unit/decision-record-format.test.ts',
      'tests/unit/decision-record-sections.test.ts',
    ],
  },
  guard: {
    mutate: ['server/doc-guard.ts'],
    // The unit tests check the guard's verdicts, on updates built with Yjs and on hand-built
    // structs (cycles, Skip and GC structs, junk stored before the schema); the integration
    // tests send it hostile updates through a real server.
    tests: [
      'tests/unit/doc-guard.test.ts',
      'tests/unit/doc-guard-crafted.test.ts',
      'tests/integration/doc-hardening.test.ts',
      'tests/integration/doc-policy.test.ts',
    ],
  },
  storage: {
    mutate: ['server/storage/sqlite-store.ts'],
    tests: [
      'tests/integration/storage-contract.test.ts',
      'tests/integration/storage-health.test.ts',
      'tests/integration/storage-wal.test.ts',
    ],
  },
  room: {
    mutate: ['server/board-room.ts'],
    tests: [
      'tests/integration/board-room.test.ts',
      'tests/integration/commit-order.test.ts',
      'tests/integration/doc-hardening.test.ts',
      'tests/integration/doc-sync.test.ts',
    ],
  },
  session: {
    mutate: ['server/session-server.ts', 'server/session-commands.ts', 'server/board-session.ts'],
    tests: [
      'tests/unit/board-session.test.ts',
      'tests/integration/session-commands.test.ts',
      'tests/integration/rounds.test.ts',
      'tests/integration/roles.test.ts',
      'tests/integration/anonymity.test.ts',
      'tests/integration/session-joining.test.ts',
      'tests/integration/session-rate-limits.test.ts',
      'tests/integration/session-channel.test.ts',
      'tests/integration/doc-policy.test.ts',
      'tests/integration/evidence.test.ts',
      'tests/integration/carry-over.test.ts',
      'tests/integration/summon.test.ts',
      'tests/integration/history.test.ts',
      'tests/integration/session-patches.test.ts',
      'tests/integration/decision-record-export.test.ts',
    ],
  },
};
