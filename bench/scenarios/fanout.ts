import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type * as Y from 'yjs';
import { getCriteria, getDescription } from '@/lib/board-schema';
import {
  type BenchClient,
  closeClient,
  negotiatedExtensions,
  openClient,
  participantParams,
  receiverUrl,
  whenSynced,
} from '../lib/clients';
import { machineCpu, machineCpuPct } from '../lib/cpu';
import { fullGc } from '../lib/gc';
import type { ServerProcess } from '../lib/proc';
import { type Summary, sleep, summarize } from '../lib/stats';
import { templateDoc } from '../lib/template';

export interface RunConfig {
  /** Edits per board per second (one writer per board). */
  rate: number;
  warmupMs: number;
  measureMs: number;
  /** After the last measured edit: how long late deliveries are still counted. */
  drainMs: number;
}

/** One measured window on one server. */
export interface Window {
  rate: number;
  elapsedMs: number;
  editsSent: number;
  expected: number;
  arrived: number;
  /** Every delivery's latency (ms); Infinity for those that did not arrive within the drain. */
  latencies: number[];
  serverCpuSec: number;
  benchCpuSec: number;
  /** Machine-wide busy and stolen CPU over the window, core-seconds. */
  machineBusySec: number;
  stealSec: number;
  benchLoopDelayP99Ms: number;
  /** Longest garbage-collection pause of the load generator during the window (ms). */
  benchGcMaxMs: number;
  /** Worst delivery latency per second of the window, by send time (diagnostics). */
  timelineMaxMs: number[];
}

/** Several windows of the same server and rate, pooled. */
export interface RunResult {
  rate: number;
  windows: number;
  measureMs: number;
  editsSent: number;
  /** Edits per board per second actually sent during the measured windows. */
  achievedRate: number;
  expected: number;
  arrived: number;
  latency: Summary;
  /** Server CPU during the measured windows, % of one core. */
  serverCpuPct: number;
  /** Load generator (this process) CPU, % of one core. */
  benchCpuPct: number;
  /** CPU used on the machine by anything but the server and the bench, % of one core. */
  otherCpuPct: number;
  /** CPU stolen from this VM by its host, % of one core. */
  stealPct: number;
  /** Median over the windows of each window's own p99 (robust to one disturbed window). */
  medianWindowP99: number;
  /** Each window's own p99, in the order run. */
  windowP99s: number[];
  /** Worst event-loop delay p99 of the load generator over the windows (ms). */
  benchLoopDelayP99Ms: number;
  /** Longest GC pause of the load generator over the windows (ms). */
  benchGcMaxMs: number;
  /** Per window: worst latency per second of the window (diagnostics, JSON only). */
  timelineMaxMs: number[][];
}

/** Pools windows: percentiles over every delivery of every window, CPU over their total time. */
export function combineWindows(windows: Window[], boards: number): RunResult {
  const sum = (f: (w: Window) => number) => windows.reduce((n, w) => n + f(w), 0);
  const elapsed = sum((w) => w.elapsedMs);
  const secs = elapsed / 1000;
  const serverCpuPct = (sum((w) => w.serverCpuSec) / secs) * 100;
  const benchCpuPct = (sum((w) => w.benchCpuSec) / secs) * 100;
  const machinePct = (sum((w) => w.machineBusySec) / secs) * 100;
  const editsSent = sum((w) => w.editsSent);
  return {
    rate: windows[0]?.rate ?? 0,
    windows: windows.length,
    measureMs: elapsed,
    editsSent,
    achievedRate: editsSent / boards / secs,
    expected: sum((w) => w.expected),
    arrived: sum((w) => w.arrived),
    latency: summarize(windows.flatMap((w) => w.latencies)),
    serverCpuPct,
    benchCpuPct,
    otherCpuPct: Math.max(0, machinePct - serverCpuPct - benchCpuPct),
    stealPct: (sum((w) => w.stealSec) / secs) * 100,
    medianWindowP99: summarize(windows.map((w) => summarize(w.latencies).p99)).p50,
    windowP99s: windows.map((w) => summarize(w.latencies).p99),
    benchLoopDelayP99Ms: Math.max(...windows.map((w) => w.benchLoopDelayP99Ms)),
    benchGcMaxMs: Math.max(...windows.map((w) => w.benchGcMaxMs)),
    timelineMaxMs: windows.map((w) => w.timelineMaxMs),
  };
}

interface SentEdit {
  t: number;
  measured: boolean;
}

interface BoardLoad {
  room: string;
  writer: BenchClient;
  /** The criteria the writer cycles through: it edits one description per edit. */
  writerCriteria: Y.Map<unknown>[];
  /** Receivers of this board (raw connections in the worker threads). */
  receivers: number;
  seq: number;
  sent: Map<number, SentEdit>;
}

/** Worker threads that hold every topology's receivers (see fanout-worker.mjs). */
export const RECEIVER_WORKERS = 2;

type WorkerReply = { type: string; topo: number; data?: Float64Array; message?: string };

/** The receivers' worker threads, shared by every topology of this process. */
class ReceiverPool {
  private static shared: ReceiverPool | null = null;
  private static users = 0;
  private nextTopo = 1;
  private readonly waiting: { type: string; topo: number; resolve: (r: WorkerReply) => void }[] = [];

  private constructor(readonly workers: Worker[]) {
    for (const w of workers) {
      w.on('message', (r: WorkerReply) => {
        if (r.type === 'error') throw new Error(`fan-out worker: ${r.message}`);
        const i = this.waiting.findIndex((x) => x.type === r.type && x.topo === r.topo);
        if (i >= 0) this.waiting.splice(i, 1)[0]?.resolve(r);
      });
      w.on('error', (err) => {
        throw err;
      });
    }
  }

  static acquire(): { pool: ReceiverPool; topo: number } {
    if (!ReceiverPool.shared) {
      const file = path.join(import.meta.dirname, 'fanout-worker.mjs');
      ReceiverPool.shared = new ReceiverPool(
        Array.from({ length: RECEIVER_WORKERS }, () => new Worker(file)),
      );
    }
    ReceiverPool.users++;
    const pool = ReceiverPool.shared;
    return { pool, topo: pool.nextTopo++ };
  }

  async release(): Promise<void> {
    if (--ReceiverPool.users > 0) return;
    ReceiverPool.shared = null;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Sends each worker its message (or the same one) and waits for each one's `reply`. */
  ask(topo: number, reply: string, msgs: object[]): Promise<WorkerReply[]> {
    return Promise.all(
      this.workers.map((w, i) => {
        const p = new Promise<WorkerReply>((resolve) => this.waiting.push({ type: reply, topo, resolve }));
        w.postMessage({ topo, ...(msgs[i] ?? msgs[0]) });
        return p;
      }),
    );
  }
}

/** y-protocols' Awareness renews the local state every outdatedTimeout / 2 = 15 s. */
export const AWARENESS_RENEW_MS = 15_000;

/**
 * `boards` rooms × `clientsPerBoard` y-websocket clients. One client per board writes: a
 * standard WebsocketProvider on a Y.Doc in this thread, which sets the description of one of
 * the board's criteria, in turn, to `bench <id>` (a field the board schema lets a participant
 * write; on our server the writer is a participant and the receivers are viewers). The others
 * receive: raw y-websocket connections in RECEIVER_WORKERS worker threads, without a Y.Doc
 * (see fanout-worker.mjs), so that the load generator is not what saturates first. A
 * delivery's latency runs from the writer's clock just before its transaction to the moment
 * the receiver's thread gets the update frame (absolute clocks, comparable between threads).
 */
export class FanoutTopology {
  private latencies: number[] = [];
  private timeline: number[] = [];
  private windowStart = 0;
  private arrived = 0;
  /** When the last client connected (the awareness phases are spread from then on). */
  connectedAt = 0;

  private constructor(
    readonly server: ServerProcess,
    readonly boards: BoardLoad[],
    private readonly pool: ReceiverPool,
    private readonly topoId: number,
  ) {}

  static async connect(
    server: ServerProcess,
    rooms: string[],
    clientsPerBoard: number,
  ): Promise<FanoutTopology> {
    const boards: BoardLoad[] = [];
    const { pool, topo: topoId } = ReceiverPool.acquire();
    const topo = new FanoutTopology(server, boards, pool, topoId);
    // Peers create rooms on connect: the writer brings the template board first.
    const seed = server.kind !== 'ours';
    const CONCURRENT_BOARDS = 5;
    for (let i = 0; i < rooms.length; i += CONCURRENT_BOARDS) {
      const batch = rooms.slice(i, i + CONCURRENT_BOARDS);
      const loaded = await Promise.all(batch.map((room) => topo.connectBoard(room, clientsPerBoard, seed)));
      boards.push(...loaded);
    }
    // The writers' awareness renewals get a random phase (the receivers do the same in their
    // workers), as for clients that joined at different times: otherwise the renewals (every
    // 15 s) of clients that connected within a few seconds come in one burst.
    for (const b of boards) {
      const c = b.writer;
      const timer = setTimeout(() => {
        if (c.provider.awareness.getLocalState() !== null) c.provider.awareness.setLocalState({});
      }, Math.random() * AWARENESS_RENEW_MS);
      timer.unref();
    }
    // Receivers, spread over the workers; each worker answers once all of its receivers synced.
    const w = pool.workers.length;
    const perWorker = pool.workers.map((_, wi) => ({
      type: 'open',
      hocuspocus: server.kind === 'hocuspocus',
      receivers: boards.flatMap((b, bi) =>
        Array.from({ length: clientsPerBoard - 1 }, (_, ri) => ri)
          .filter((ri) => ri % w === wi)
          .map(() => ({ board: bi, url: receiverUrl(server, b.room), docName: b.room })),
      ),
    }));
    await pool.ask(topoId, 'opened', perWorker);
    for (const b of boards) b.receivers = clientsPerBoard - 1;
    topo.connectedAt = performance.now();
    // Give the server time to integrate the seeds and the initial awareness burst.
    await sleep(1000);
    return topo;
  }

  private async connectBoard(room: string, clientsPerBoard: number, seed: boolean): Promise<BoardLoad> {
    // Our server takes edits only from a participant; peers take anyone's.
    const params = this.server.kind === 'ours' ? await participantParams(this.server, room) : undefined;
    const writer = openClient(this.server, room, seed ? templateDoc() : undefined, params);
    await whenSynced(writer);
    if (clientsPerBoard < 2) throw new Error('a board needs a writer and at least one receiver');
    return {
      room,
      writer,
      writerCriteria: getCriteria(writer.doc).toArray(),
      receivers: 0,
      seq: 0,
      sent: new Map(),
    };
  }

  /** The extensions negotiated by the first writer's socket ('' = none, i.e. no compression). */
  get extensions(): string {
    const first = this.boards[0];
    return first ? negotiatedExtensions(first.writer) : '';
  }

  get clientCount(): number {
    return this.boards.reduce((n, b) => n + 1 + b.receivers, 0);
  }

  private onArrive(board: BoardLoad, id: number, now: number): void {
    const sent = board.sent.get(id);
    if (!sent?.measured) return;
    const latency = now - sent.t;
    this.latencies.push(latency);
    const bucket = Math.floor((sent.t - this.windowStart) / 1000);
    this.timeline[bucket] = Math.max(this.timeline[bucket] ?? 0, latency);
    this.arrived++;
  }

  private edit(board: BoardLoad, measuring: boolean): void {
    const id = ++board.seq;
    const t = performance.timeOrigin + performance.now();
    board.sent.set(id, { t, measured: measuring });
    // A field the board schema allows anyone to write (our server refuses anything else).
    const criterion = board.writerCriteria[id % board.writerCriteria.length]!;
    // Descriptions are shared text: the whole text is replaced, so the update carries `bench <id>`.
    const text = getDescription(criterion);
    if (!text) throw new Error('the bench board has a description that is not shared text');
    board.writer.doc.transact(() => {
      text.delete(0, text.length);
      text.insert(0, `bench ${id}`);
    });
  }

  /** Writers edit for warm-up + measured window; deliveries count until the drain ends. */
  async run(cfg: RunConfig): Promise<Window> {
    // Major GCs of this (large) process belong between windows, not inside one.
    fullGc();
    await sleep(100);
    this.latencies = [];
    this.timeline = [];
    this.arrived = 0;
    for (const b of this.boards) b.sent.clear();
    let measuring = false;
    let editsSent = 0;
    const interval = 1000 / cfg.rate;
    const timers: NodeJS.Timeout[] = [];
    for (const b of this.boards) {
      // Random phase so that writers do not fire in lockstep.
      const start = setTimeout(() => {
        const tick = () => {
          if (measuring) editsSent++;
          this.edit(b, measuring);
        };
        tick();
        timers.push(setInterval(tick, interval));
      }, Math.random() * interval);
      timers.push(start);
    }
    await this.pool.ask(this.topoId, 'collecting', [{ type: 'collect', on: true }]);
    await sleep(cfg.warmupMs);

    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let gcMax = 0;
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
    });
    gc.observe({ entryTypes: ['gc'] });
    const cpu0 = process.cpuUsage();
    const srv0 = this.server.cpuSeconds();
    const machine0 = machineCpu();
    const t0 = performance.now();
    this.windowStart = performance.timeOrigin + t0;
    measuring = true;
    await sleep(cfg.measureMs);
    measuring = false;
    for (const t of timers) clearTimeout(t);
    const elapsedMs = performance.now() - t0;
    const srv1 = this.server.cpuSeconds();
    const cpu1 = process.cpuUsage(cpu0);
    const machine = machineCpuPct(machine0, machineCpu());
    loop.disable();
    gc.disconnect();

    await sleep(cfg.drainMs);
    await this.pool.ask(this.topoId, 'collecting', [{ type: 'collect', on: false }]);
    for (const r of await this.pool.ask(this.topoId, 'arrivals', [{ type: 'take' }])) {
      const d = r.data ?? new Float64Array();
      for (let i = 0; i + 2 < d.length; i += 3) {
        const board = this.boards[d[i] as number];
        if (board) this.onArrive(board, d[i + 1] as number, d[i + 2] as number);
      }
    }
    const receivers = this.boards[0]?.receivers ?? 0;
    const expected = editsSent * receivers;
    // Deliveries that did not arrive within the drain count as infinitely late.
    for (let i = this.arrived; i < expected; i++) this.latencies.push(Number.POSITIVE_INFINITY);
    const secs = elapsedMs / 1000;
    return {
      rate: cfg.rate,
      elapsedMs,
      editsSent,
      expected,
      arrived: this.arrived,
      latencies: this.latencies,
      serverCpuSec: srv1 - srv0,
      benchCpuSec: (cpu1.user + cpu1.system) / 1e6,
      machineBusySec: (machine.busyPct / 100) * secs,
      stealSec: (machine.stealPct / 100) * secs,
      benchLoopDelayP99Ms: loop.percentile(99) / 1e6,
      benchGcMaxMs: gcMax,
      timelineMaxMs: Array.from(this.timeline, (v) => Math.round((v ?? 0) * 10) / 10),
    };
  }

  async close(): Promise<void> {
    for (const b of this.boards) closeClient(b.writer);
    await this.pool.ask(this.topoId, 'closed', [{ type: 'close' }]);
    await sleep(500);
    await this.pool.release();
  }
}
