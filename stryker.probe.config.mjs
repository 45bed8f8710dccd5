import base from '/work/main/stryker.config.mjs';
export default { ...base, vitest: { configFile: 'vitest.mutation-probe.config.ts' }, mutate: ['lib/consensus.ts'], incremental: false, reporters: ['clear-text', 'progress'] };
