import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { getCriteria } from '@/lib/board-schema';
import {
  type BenchClient,
  closeClient,
  negotiatedExtensions,
  openClient,
  participantParams,
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
  readers: BenchClient[];
  seq: number;
  sent: Map<number, SentEdit>;
}

/** y-protocols' Awareness renews the local state every outdatedTimeout / 2 = 15 s. */
export const AWARENESS_RENEW_MS = 15_000;

/**
 * `boards` rooms × `clientsPerBoard` standard y-websocket clients, all in this process. One
 * client per board writes (sets the description of one of the board's criteria, in turn, to
 * `bench <id>`: a field the board schema lets a participant write; on our server the writer
 * is a participant and the readers are viewers); the others observe the criteria, and each delivery's latency is measured from the writer's
 * performance.now() just before its transaction to the observer call on the receiver.
 */
export class FanoutTopology {
  private latencies: number[] = [];
  private timeline: number[] = [];
  private windowStart = 0;
  private arrived = 0;
  private collecting = false;
  /** When the last client connected (the awareness phases are spread from then on). */
  connectedAt = 0;

  private constructor(
    readonly server: ServerProcess,
    readonly boards: BoardLoad[],
  ) {}

  static async connect(
    server: ServerProcess,
    rooms: string[],
    clientsPerBoard: number,
  ): Promise<FanoutTopology> {
    const boards: BoardLoad[] = [];
    const topo = new FanoutTopology(server, boards);
    // Peers create rooms on connect: the writer brings the template board first.
    const seed = server.kind !== 'ours';
    const CONCURRENT_BOARDS = 5;
    for (let i = 0; i < rooms.length; i += CONCURRENT_BOARDS) {
      const batch = rooms.slice(i, i + CONCURRENT_BOARDS);
      const loaded = await Promise.all(batch.map((room) => topo.connectBoard(room, clientsPerBoard, seed)));
      boards.push(...loaded);
    }
    // The clients connected within a few seconds, so their awareness renewals (every 15 s)
    // would come in one burst of clients × (clients per board) messages. Give each a random
    // phase, as for clients that joined at different times: one extra renewal at a random
    // moment within the next renewal period.
    for (const b of boards) {
      for (const c of [b.writer, ...b.readers]) {
        const timer = setTimeout(() => {
          if (c.provider.awareness.getLocalState() !== null) c.provider.awareness.setLocalState({});
        }, Math.random() * AWARENESS_RENEW_MS);
        timer.unref();
      }
    }
    topo.connectedAt = performance.now();
    // Give the server time to integrate the seeds and the initial awareness burst.
    await sleep(1000);
    for (const b of boards) {
      for (const r of b.readers) {
        if (r.doc.getMap('meta').get('title') === undefined)
          throw new Error(`${server.kind}: reader lacks the board`);
      }
    }
    return topo;
  }

  private async connectBoard(room: string, clientsPerBoard: number, seed: boolean): Promise<BoardLoad> {
    // Our server takes edits only from a participant; peers take anyone's.
    const params = this.server.kind === 'ours' ? await participantParams(this.server, room) : undefined;
    const writer = openClient(this.server, room, seed ? templateDoc() : undefined, params);
    await whenSynced(writer);
    const readers: BenchClient[] = [];
    const board: BoardLoad = {
      room,
      writer,
      writerCriteria: getCriteria(writer.doc).toArray(),
      readers,
      seq: 0,
      sent: new Map(),
    };
    for (let i = 1; i < clientsPerBoard; i++) {
      const reader = openClient(this.server, room);
      getCriteria(reader.doc).observeDeep((events) => {
        const now = performance.now();
        for (const event of events) {
          if (
            !(event.target instanceof Y.Map) ||
            !(event as Y.YMapEvent<unknown>).keysChanged.has('description')
          )
            continue;
          const m = /^bench (\d+)$/.exec(String(event.target.get('description')));
          if (m) this.onArrive(board, Number(m[1]), now);
        }
      });
      readers.push(reader);
    }
    await Promise.all(readers.map((r) => whenSynced(r)));
    return board;
  }

  /** The extensions negotiated by the first writer's socket ('' = none, i.e. no compression). */
  get extensions(): string {
    const first = this.boards[0];
    return first ? negotiatedExtensions(first.writer) : '';
  }

  get clientCount(): number {
    return this.boards.reduce((n, b) => n + 1 + b.readers.length, 0);
  }

  private onArrive(board: BoardLoad, id: number, now: number): void {
    if (!this.collecting) return;
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
    const t = performance.now();
    board.sent.set(id, { t, measured: measuring });
    // A field the board schema allows anyone to write (our server refuses anything else).
    const criterion = board.writerCriteria[id % board.writerCriteria.length]!;
    board.writer.doc.transact(() => criterion.set('description', `bench ${id}`));
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
    this.collecting = true;
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
    this.windowStart = t0;
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
    this.collecting = false;
    const receivers = this.boards[0]?.readers.length ?? 0;
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
    for (const b of this.boards) {
      closeClient(b.writer);
      for (const r of b.readers) closeClient(r);
    }
    await sleep(500);
  }
}
