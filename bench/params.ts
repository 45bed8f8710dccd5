/** Scenario sizes and durations; `--quick` shrinks everything for a smoke run. */
export const quick = process.argv.includes('--quick');

export const PARAMS = quick
  ? {
      boards: 4,
      clientsPerBoard: 6,
      initialWarmupMs: 1000,
      fanout: { rate: 4, warmupMs: 500, measureMs: 1500, drainMs: 1000, rounds: 2 },
      capacityRates: [4, 20, 40],
      capacity: { warmupMs: 500, measureMs: 1000, drainMs: 1000, rounds: 2 },
      loadUpdates: 2000,
      loads: 5,
      clientLoads: 3,
      memoryBoards: 20,
      session: {
        participants: 30,
        manyBoards: 3,
        ballotsPerSecondPerBoard: 30,
        secondRoundSpreadMs: 1000,
        workers: 2,
      },
      page: {
        criteria: 40,
        options: 12,
        others: 4,
        editsPerSecond: 4,
        ballotsPerSecond: 4,
        clicks: 10,
        keys: 10,
      },
    }
  : {
      boards: 20,
      clientsPerBoard: 25,
      /** Each server's topology edits at the fan-out rate this long before its first window. */
      initialWarmupMs: 3000,
      /** `rounds` windows per server, interleaved ours → Hocuspocus → classic (rotating). */
      fanout: { rate: 4, warmupMs: 1000, measureMs: 3000, drainMs: 1500, rounds: 5 },
      capacityRates: [4, 20, 40],
      capacity: { warmupMs: 1000, measureMs: 4000, drainMs: 1200, rounds: 2 },
      loadUpdates: 10_000,
      loads: 20,
      clientLoads: 10,
      memoryBoards: 200,
      /**
       * Issue 9's workshop: 100 people on a board (99 scoring, and the facilitator, who takes the
       * 100th seat and spectates), alone and then on `manyBoards` boards at once.
       */
      session: {
        participants: 99,
        manyBoards: 10,
        /** Under the product's 40 commands/s per board: a whole round of 2,400 ballots in 80 s. */
        ballotsPerSecondPerBoard: 30,
        secondRoundSpreadMs: 5000,
        workers: 2,
      },
      /** The largest board the product allows, with a lively room around the person measured. */
      page: {
        criteria: 40,
        options: 12,
        others: 10,
        editsPerSecond: 10,
        ballotsPerSecond: 10,
        clicks: 60,
        keys: 40,
      },
    };

export type BenchParams = typeof PARAMS;

/** DESIGN.md §4 thresholds. */
export const TARGETS = {
  capacityP99Ms: 50,
  loadMs: 50,
  /** The peers' fan-out p99 quoted in DESIGN.md §4, for reference. */
  designPeerP99Ms: 7,
  /** Issue 9's session targets. */
  sessionAckP95Ms: 50,
  sessionRevealMs: 500,
  sessionCpuPerBallotMs: 2,
};
