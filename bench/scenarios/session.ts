/**
 * The session scenario of issue 9: a workshop on the session channel. On each board,
 * `participants` people score a whole blind round of the default board (12 criteria ×
 * 2 options), the facilitator reveals, a second round starts and each person changes one
 * score. Measured: ballot acknowledgement latency, how long the reveal takes to reach
 * everyone, and the server's CPU per ballot (its process's user + system time over the
 * phase, divided by the ballots). Our server runs in its own process; the people are
 * socket.io-client sockets in worker threads of this process.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { io, type Socket } from 'socket.io-client';
import { type CreateBoardResponse, EVENTS, type Result, type SessionState } from '@/lib/protocol';
import { applyWirePatch, type SessionPatch } from '@/lib/session-patch';
import { machineCpu, machineCpuPct } from '../lib/cpu';
import { startServer } from '../lib/proc';
import { type Summary, summarize } from '../lib/stats';

export interface SessionConfig {
  boards: number;
  participants: number;
  /** Ballots per second per board in the first round (the product allows 40 per board). */
  ballotsPerSecondPerBoard: number;
  /** The second round's single changes are spread over this long. */
  secondRoundSpreadMs: number;
  workers: number;
}

export interface PhaseResult {
  ballots: number;
  errors: number;
  ack: Summary;
  elapsedMs: number;
  serverCpuSec: number;
  /** Server CPU per ballot, ms. */
  cpuPerBallotMs: number;
  /** The same less what the server used when idle (same connections, no commands) over as long. */
  cpuPerBallotAboveIdleMs: number;
  /** The server's CPU when idle just before the phase, % of a core. */
  idleCpuPct: number;
  /** Machine busy %, all cores, and the share of it that was neither server nor this process. */
  machineBusyPct: number;
}

export interface SessionResult {
  config: SessionConfig;
  round1: PhaseResult;
  round2: PhaseResult;
  /** From the reveal command being sent to each person's patch arriving, ms. */
  reveal: Summary;
  /** The reveal acknowledgement the facilitator got, ms (max over boards). */
  revealAckMaxMs: number;
  /** Server CPU from the reveal being sent until it had reached everyone, ms. */
  revealServerCpuMs: number;
}

const CRITERIA = [
  'performance',
  'scalability',
  'real-time-and-concurrency',
  'learning-curve',
  'development-speed',
  'security',
  'ecosystem',
  'flexibility',
  'documentation',
  'full-stack-language',
  'data-heavy-fit',
  'cost',
];
const OPTIONS = ['django', 'node'];
const CELLS = CRITERIA.flatMap((c) => OPTIONS.map((o) => [c, o] as [string, string]));

const now = () => performance.timeOrigin + performance.now();
/** How long the server's idle CPU is sampled before each phase. */
const IDLE_SAMPLE_MS = 2000;

/** A facilitator: joins, keeps its state from the patches, starts and reveals rounds. */
class Facilitator {
  state: SessionState | null = null;
  private constructor(readonly socket: Socket) {
    socket.on(EVENTS.sessionPatch, (p: SessionPatch) => {
      if (this.state) this.state = applyWirePatch(this.state, p);
    });
  }
  static async join(url: string, board: CreateBoardResponse): Promise<Facilitator> {
    const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    const f = new Facilitator(socket);
    await new Promise((r) => socket.once('connect', () => r(null)));
    const r = await f.ack<{ state: SessionState }>(EVENTS.boardJoin, {
      as: 'participant',
      boardId: board.id,
      name: 'Facilitator',
      facilitatorKey: board.facilitatorKey,
      protocolVersion: 2,
    });
    f.state = r.state;
    // Facilitates without voting: the round is the participants'.
    await f.ack(EVENTS.participantSpectate, { spectator: true });
    return f;
  }
  ack<T = null>(event: string, payload: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      this.socket.emit(event, payload, (r: Result<T>) =>
        r.ok ? resolve(r.data) : reject(new Error(`${event}: ${r.error.message}`)),
      ),
    );
  }
  async startRound(): Promise<string> {
    await this.ack(EVENTS.roundStart, { mode: 'blind' });
    return this.state!.rounds.at(-1)!.id;
  }
}

class WorkerPool {
  private constructor(readonly workers: Worker[]) {}
  static start(n: number): WorkerPool {
    const file = path.join(import.meta.dirname, 'session-worker.mjs');
    return new WorkerPool(Array.from({ length: n }, () => new Worker(file)));
  }
  /** Sends each worker its message and waits for one answer of `reply` type from each. */
  all<T>(messages: unknown[], reply: string): Promise<T[]> {
    return Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<T>((resolve, reject) => {
            const on = (m: { type: string; message?: string }) => {
              if (m.type === 'error') {
                w.off('message', on);
                reject(new Error(m.message));
              } else if (m.type === reply) {
                w.off('message', on);
                resolve(m as T);
              }
            };
            w.on('message', on);
            w.postMessage(messages[i] ?? messages[0]);
          }),
      ),
    );
  }
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

async function phase(
  server: { cpuSeconds(): number },
  pool: WorkerPool,
  msg: Record<string, unknown>,
  ballots: number,
): Promise<PhaseResult> {
  // The server's idle cost with these connections (pings, timers), to tell it from the ballots'.
  const i0 = server.cpuSeconds();
  const it0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS));
  const idlePerMs = (server.cpuSeconds() - i0) / (performance.now() - it0);
  const m0 = machineCpu();
  const c0 = server.cpuSeconds();
  const t0 = performance.now();
  const replies = await pool.all<{ latencies: number[]; errors: number }>(
    pool.workers.map(() => ({ type: 'cast', ...msg })),
    'cast',
  );
  const elapsedMs = performance.now() - t0;
  const serverCpuSec = server.cpuSeconds() - c0;
  const machine = machineCpuPct(m0, machineCpu());
  const latencies = replies.flatMap((r) => r.latencies);
  return {
    ballots,
    errors: replies.reduce((n, r) => n + r.errors, 0),
    ack: summarize(latencies),
    elapsedMs,
    serverCpuSec,
    cpuPerBallotMs: (serverCpuSec * 1000) / ballots,
    cpuPerBallotAboveIdleMs: (Math.max(0, serverCpuSec - idlePerMs * elapsedMs) * 1000) / ballots,
    idleCpuPct: idlePerMs * 1e5,
    machineBusyPct: machine.busyPct,
  };
}

export async function measureSession(
  config: SessionConfig,
  log: (msg: string) => void = () => {},
): Promise<SessionResult> {
  // SESSION_CPU_PROF=<dir>: write a V8 CPU profile of the server (bench/lib/profile.ts reads it).
  const profDir = process.env.SESSION_CPU_PROF;
  const server = await startServer('ours', profDir ? { cpuProfDir: profDir } : {});
  const pool = WorkerPool.start(config.workers);
  const facilitators: Facilitator[] = [];
  try {
    const boards: CreateBoardResponse[] = [];
    for (let i = 0; i < config.boards; i++) {
      const res = await fetch(`${server.httpBase}/api/boards`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ template: 'django-vs-node' }),
      });
      if (res.status !== 201) throw new Error(`POST /api/boards: ${res.status}`);
      boards.push((await res.json()) as CreateBoardResponse);
    }
    for (const b of boards) facilitators.push(await Facilitator.join(server.httpBase, b));

    // Each worker plays a slice of every board's people.
    const w = config.workers;
    const joins = pool.workers.map((_, wi) => ({
      type: 'join',
      url: server.httpBase,
      boards: boards.map((b) => {
        const first = Math.floor((config.participants * wi) / w);
        const last = Math.floor((config.participants * (wi + 1)) / w);
        return { boardId: b.id, first, count: last - first };
      }),
    }));
    const t = performance.now();
    await pool.all(joins, 'joined');
    log(
      `session: ${config.boards} × ${config.participants} people joined in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    const round1Ids = Object.fromEntries(
      await Promise.all(boards.map(async (b, i) => [b.id, await facilitators[i]!.startRound()])),
    );
    const round1 = await phase(
      server,
      pool,
      {
        rounds: round1Ids,
        cells: CELLS,
        intervalMs: (config.participants / config.ballotsPerSecondPerBoard) * 1000,
        salt: 0,
      },
      config.boards * config.participants * CELLS.length,
    );
    log(
      `session round 1: ${round1.ballots} ballots in ${(round1.elapsedMs / 1000).toFixed(1)} s, ack p50 ${round1.ack.p50.toFixed(1)} p95 ${round1.ack.p95.toFixed(1)} ms, server ${round1.cpuPerBallotMs.toFixed(2)} ms CPU/ballot, errors ${round1.errors}`,
    );

    // The reveal: from the command to every person's patch.
    await pool.all(
      pool.workers.map(() => ({ type: 'arm-reveal' })),
      'armed',
    );
    const revealCpu0 = server.cpuSeconds();
    const sentAt = now();
    const revealAcks = await Promise.all(
      boards.map(async (b, i) => {
        const t0 = performance.now();
        await facilitators[i]!.ack(EVENTS.roundReveal, { roundId: round1Ids[b.id] });
        return performance.now() - t0;
      }),
    );
    const deadline = performance.now() + 30_000;
    let reach: number[] = [];
    for (;;) {
      const replies = await pool.all<{ times: { at: number }[] }>(
        pool.workers.map(() => ({ type: 'reveal-times' })),
        'reveal-times',
      );
      const times = replies.flatMap((r) => r.times.map((x) => x.at));
      if (times.every((x) => !Number.isNaN(x)) || performance.now() > deadline) {
        reach = times.map((x) => (Number.isNaN(x) ? Number.POSITIVE_INFINITY : x - sentAt));
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const reveal = summarize(reach);
    const revealServerCpuMs = (server.cpuSeconds() - revealCpu0) * 1000;
    log(
      `session reveal: reached everyone p50 ${reveal.p50.toFixed(0)} ms, max ${reveal.max.toFixed(0)} ms, server CPU ${revealServerCpuMs.toFixed(0)} ms`,
    );

    const round2Ids = Object.fromEntries(
      await Promise.all(boards.map(async (b, i) => [b.id, await facilitators[i]!.startRound()])),
    );
    const round2 = await phase(
      server,
      pool,
      {
        rounds: round2Ids,
        cells: CELLS.slice(0, 1),
        intervalMs: 0,
        spreadMs: config.secondRoundSpreadMs,
        salt: 1,
      },
      config.boards * config.participants,
    );
    log(
      `session round 2: ${round2.ballots} ballots, ack p50 ${round2.ack.p50.toFixed(1)} p95 ${round2.ack.p95.toFixed(1)} ms, server ${round2.cpuPerBallotMs.toFixed(2)} ms CPU/ballot`,
    );
    await pool.all(
      pool.workers.map(() => ({ type: 'close' })),
      'closed',
    );
    return { config, round1, round2, reveal, revealAckMaxMs: Math.max(...revealAcks), revealServerCpuMs };
  } finally {
    for (const f of facilitators) f.socket.disconnect();
    await pool.close();
    await server.stop();
  }
}
