/**
 * `npm run bench -- --cluster` (issue 13): the document channel across processes.
 *
 * 1. Extra latency of a delivery between processes: the wave-one load (20 boards × 25
 *    clients, one writer per board at 4 edits/s), with the writer and its 24 receivers on one
 *    process, then with the writer on process 1 and the receivers on process 2. Both in one
 *    run, alternating windows, so the machine's other load hits both alike.
 * 2. Throughput with 1, 2 and 3 processes: the same boards at a higher rate, writers and
 *    receivers spread over the processes, deliveries per second and their latency.
 *
 * Processes run createServer on a fresh Postgres database and Redis (BENCH_DATABASE_URL or
 * TEST_DATABASE_URL, BENCH_REDIS_URL or TEST_REDIS_URL); receivers are raw y-websocket viewer
 * connections in this process that read the edit's id from each frame (as fanout-worker.mjs).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { io as ioClient } from 'socket.io-client';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { getCriteria, getDescription } from '@/lib/board-schema';
import { type CreateBoardResponse, EVENTS, type JoinResult, type Result } from '@/lib/protocol';

const ROOT = path.resolve(import.meta.dirname, '../..');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ClusterParams {
  boards: number;
  clientsPerBoard: number;
  rate: number;
  throughputRate: number;
  warmupMs: number;
  measureMs: number;
  rounds: number;
}

export interface LatencyStats {
  deliveries: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Deliveries expected but not seen by the end of the window's drain. */
  missing: number;
}

export interface ClusterResult {
  params: ClusterParams;
  /** Writer and receivers on one process vs writer on process 1, receivers on process 2. */
  sameProcess: LatencyStats;
  crossProcess: LatencyStats;
  /** Processes → stats at `throughputRate`. */
  throughput: { processes: number; stats: LatencyStats }[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

interface Node {
  url: string;
  child: ChildProcess;
}

/** Redis keys and channels of this run only: no other Redis traffic on the machine mixes in. */
const REDIS_PREFIX = `bench-${Date.now().toString(36)}`;

async function startNode(databaseUrl: string, redisUrl: string): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/servers/cluster-node.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      BENCH_DATABASE_URL: databaseUrl,
      BENCH_REDIS_URL: redisUrl,
      BENCH_REDIS_PREFIX: REDIS_PREFIX,
      BENCH_PORT: String(port),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('a cluster node exited at start');
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('a cluster node did not start');
    await sleep(100);
  }
  return { url, child };
}

async function stopNode(n: Node): Promise<void> {
  if (n.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => n.child.once('exit', () => resolve()));
  n.child.kill('SIGTERM');
  await exited;
}

const MARK = Buffer.from('bench ');

/** Every edit's send time by id, and the delivery latencies seen in the current window. */
class Window {
  sent = new Map<number, number>();
  latencies: number[] = [];
  collecting = false;
  expected = 0;
}

/** A receiver: a viewer's raw y-websocket connection that timestamps each edit it is relayed. */
function receiver(url: string, viewerKey: string, win: { current: Window }): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/yjs/${viewerKey}`);
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      ws.send(Buffer.from([0, 0, 1, 0]));
      resolve(ws);
    });
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const t = now();
      // Only relayed updates ([sync=0][update=2]) count; the sync reply carries old edits.
      if (data[0] !== 0 || data[1] !== 2) return;
      let at = data.indexOf(MARK);
      const w = win.current;
      while (at >= 0) {
        let id = 0;
        let i = at + MARK.length;
        while (i < data.length && data[i]! >= 48 && data[i]! <= 57) id = id * 10 + (data[i++]! - 48);
        const sent = w.sent.get(id);
        if (sent !== undefined && w.collecting) w.latencies.push(t - sent);
        at = data.indexOf(MARK, i);
      }
    });
  });
}

interface Writer {
  doc: Y.Doc;
  provider: WebsocketProvider;
  criteria: Y.Map<unknown>[];
}

async function writer(url: string, boardId: string): Promise<Writer> {
  const socket = ioClient(url, { transports: ['websocket'] });
  const joined = await new Promise<Result<JoinResult>>((resolve) =>
    socket.emit(EVENTS.boardJoin, { as: 'participant', boardId, name: 'Bench writer' }, resolve),
  );
  socket.disconnect();
  if (!joined.ok || !joined.data.credentials) throw new Error('bench writer could not join');
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${url.replace(/^http/, 'ws')}/yjs`, boardId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    params: { participant: joined.data.credentials.participantId, token: joined.data.credentials.token },
  });
  const deadline = Date.now() + 30_000;
  while (!provider.synced) {
    if (Date.now() > deadline) throw new Error('bench writer did not sync');
    await sleep(20);
  }
  return { doc, provider, criteria: getCriteria(doc).toArray() };
}

function stats(win: Window, ms: number): LatencyStats {
  const sorted = [...win.latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return {
    deliveries: sorted.length,
    perSecond: Math.round((sorted.length / ms) * 1000),
    p50: q(0.5),
    p99: q(0.99),
    max: sorted[sorted.length - 1] ?? 0,
    missing: Math.max(0, win.expected - sorted.length),
  };
}

function pool(parts: LatencyStats[], all: number[][], ms: number): LatencyStats {
  const sorted = all.flat().sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return {
    deliveries: sorted.length,
    perSecond: Math.round((sorted.length / ms) * 1000),
    p50: q(0.5),
    p99: q(0.99),
    max: sorted[sorted.length - 1] ?? 0,
    missing: parts.reduce((n, p) => n + p.missing, 0),
  };
}

interface Topology {
  writers: Writer[];
  receivers: WebSocket[];
  win: { current: Window };
  close(): void;
}

/** Boards with the writer on `writerNode(i)` and receiver r of board i on `receiverNode(i, r)`. */
async function topology(
  nodes: Node[],
  boards: CreateBoardResponse[],
  clientsPerBoard: number,
  writerNode: (board: number) => Node,
  receiverNode: (board: number, r: number) => Node,
): Promise<Topology> {
  const win = { current: new Window() };
  const writers = await Promise.all(boards.map((b, i) => writer(writerNode(i).url, b.id)));
  const receivers: WebSocket[] = [];
  for (const [i, b] of boards.entries()) {
    const batch = await Promise.all(
      Array.from({ length: clientsPerBoard - 1 }, (_, r) =>
        receiver(receiverNode(i, r).url, b.viewerKey, win),
      ),
    );
    receivers.push(...batch);
  }
  void nodes;
  return {
    writers,
    receivers,
    win,
    close() {
      for (const w of writers) {
        w.provider.destroy();
        w.doc.destroy();
      }
      for (const r of receivers) r.terminate();
    },
  };
}

let nextId = 1;

/** Edits at `rate` per board for warmup + measure, then waits for the stragglers. */
async function runWindow(
  topo: Topology,
  rate: number,
  warmupMs: number,
  measureMs: number,
  receiversPerBoard: number,
): Promise<{ stats: LatencyStats; latencies: number[] }> {
  const win = new Window();
  topo.win.current = win;
  const start = now();
  const end = start + warmupMs + measureMs;
  const interval = 1000 / rate;
  // Writers' phases spread over the interval.
  const next = topo.writers.map((_, i) => start + (i * interval) / topo.writers.length);
  while (now() < end) {
    const t = now();
    win.collecting = t >= start + warmupMs;
    for (const [i, w] of topo.writers.entries()) {
      if ((next[i] ?? 0) > t) continue;
      next[i] = (next[i] ?? 0) + interval;
      const id = nextId++;
      const criterion = w.criteria[id % w.criteria.length];
      if (!criterion) continue;
      if (win.collecting) {
        win.sent.set(id, now());
        win.expected += receiversPerBoard;
      }
      // Descriptions are shared text (SPEC D13): replaced whole, so the update carries `bench <id>`.
      const text = getDescription(criterion);
      if (!text) throw new Error('the bench board has a description that is not shared text');
      w.doc.transact(() => {
        text.delete(0, text.length);
        text.insert(0, `bench ${id}`);
      });
    }
    await sleep(Math.max(0, Math.min(...next) - now()));
  }
  // Drain: deliveries of the last edits still count.
  const drainUntil = now() + 1500;
  while (now() < drainUntil && win.latencies.length < win.expected) await sleep(20);
  win.collecting = false;
  // Nothing at all arrived: the server refused the edits (a schema change the bench missed),
  // not a slow machine. Say so rather than report empty figures.
  if (win.expected > 0 && win.latencies.length === 0)
    throw new Error('no edit reached any receiver: were the writers refused or disconnected?');
  return { stats: stats(win, measureMs), latencies: win.latencies };
}

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_cluster_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function createBoards(url: string, n: number): Promise<CreateBoardResponse[]> {
  const boards: CreateBoardResponse[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/api/boards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ template: 'django-vs-node' }),
    });
    if (res.status !== 201) throw new Error(`create board: ${res.status}`);
    boards.push((await res.json()) as CreateBoardResponse);
  }
  return boards;
}

export async function measureCluster(p: ClusterParams, log: (msg: string) => void): Promise<ClusterResult> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL;
  if (!adminUrl || !redisUrl) {
    throw new Error(
      'the cluster bench needs BENCH_DATABASE_URL (or TEST_DATABASE_URL) and BENCH_REDIS_URL (or TEST_REDIS_URL)',
    );
  }
  const db = await freshDatabase(adminUrl);
  const nodes: Node[] = [];
  try {
    nodes.push(...(await Promise.all([0, 1, 2].map(() => startNode(db.url, redisUrl)))));
    const [n1, n2] = nodes as [Node, Node, Node];
    const receiversPerBoard = p.clientsPerBoard - 1;

    // 1. Same process vs across processes, alternating windows.
    log(`cluster: latency, ${p.boards} boards × ${p.clientsPerBoard} clients at ${p.rate} edits/s`);
    const boards = await createBoards(n1.url, p.boards);
    const same = await topology(
      nodes,
      boards,
      p.clientsPerBoard,
      () => n1,
      () => n1,
    );
    const crossBoards = await createBoards(n1.url, p.boards);
    const cross = await topology(
      nodes,
      crossBoards,
      p.clientsPerBoard,
      () => n1,
      () => n2,
    );
    const sameRuns: { stats: LatencyStats; latencies: number[] }[] = [];
    const crossRuns: { stats: LatencyStats; latencies: number[] }[] = [];
    for (let round = 0; round < p.rounds; round++) {
      sameRuns.push(await runWindow(same, p.rate, p.warmupMs, p.measureMs, receiversPerBoard));
      crossRuns.push(await runWindow(cross, p.rate, p.warmupMs, p.measureMs, receiversPerBoard));
      log(
        `cluster: round ${round + 1}: same p99 ${sameRuns.at(-1)?.stats.p99.toFixed(1)} ms, cross p99 ${crossRuns.at(-1)?.stats.p99.toFixed(1)} ms`,
      );
    }
    same.close();
    cross.close();
    const total = p.measureMs * p.rounds;
    const sameProcess = pool(
      sameRuns.map((r) => r.stats),
      sameRuns.map((r) => r.latencies),
      total,
    );
    const crossProcess = pool(
      crossRuns.map((r) => r.stats),
      crossRuns.map((r) => r.latencies),
      total,
    );

    // 2. Throughput with 1, 2, 3 processes: everything spread round-robin.
    const throughput: ClusterResult['throughput'] = [];
    for (const count of [1, 2, 3]) {
      const used = nodes.slice(0, count);
      const tb = await createBoards(n1.url, p.boards);
      const topo = await topology(
        used,
        tb,
        p.clientsPerBoard,
        (i) => used[i % count] as Node,
        (i, r) => used[(i + r + 1) % count] as Node,
      );
      const runs: { stats: LatencyStats; latencies: number[] }[] = [];
      for (let round = 0; round < Math.max(1, Math.floor(p.rounds / 2)); round++) {
        runs.push(await runWindow(topo, p.throughputRate, p.warmupMs, p.measureMs, receiversPerBoard));
      }
      topo.close();
      const s = pool(
        runs.map((r) => r.stats),
        runs.map((r) => r.latencies),
        p.measureMs * runs.length,
      );
      log(`cluster: ${count} process(es): ${s.perSecond} deliveries/s, p99 ${s.p99.toFixed(1)} ms`);
      throughput.push({ processes: count, stats: s });
    }
    return { params: p, sameProcess, crossProcess, throughput };
  } finally {
    await Promise.all(nodes.map(stopNode));
    await db.drop();
  }
}

const f = (n: number) => n.toFixed(1);

/** The cluster section of docs/BENCHMARKS.md. */
export function renderCluster(r: ClusterResult, machine: string, date: string): string {
  const p = r.params;
  const extra = r.crossProcess.p99 - r.sameProcess.p99;
  const lines = [
    '<!-- cluster:start -->',
    '## Several processes (issue 13)',
    '',
    `Measured ${date} on ${machine}, with \`npm run bench -- --cluster\`. Every process runs`,
    "createServer on one fresh Postgres database and one Redis (the machine's own; figures move",
    "between runs with the rest of the machine's load: compare within one run).",
    '',
    `**Extra latency between processes** at the wave-one load (${p.boards} boards × ${p.clientsPerBoard}`,
    `clients, one writer per board at ${p.rate} edits/s; ${p.rounds} alternating windows of ${p.measureMs / 1000} s each):`,
    '',
    '| | deliveries | p50 ms | p99 ms | max ms | missing |',
    '|---|---|---|---|---|---|',
    `| writer and receivers on one process | ${r.sameProcess.deliveries} | ${f(r.sameProcess.p50)} | ${f(r.sameProcess.p99)} | ${f(r.sameProcess.max)} | ${r.sameProcess.missing} |`,
    `| writer on process 1, receivers on process 2 | ${r.crossProcess.deliveries} | ${f(r.crossProcess.p50)} | ${f(r.crossProcess.p99)} | ${f(r.crossProcess.max)} | ${r.crossProcess.missing} |`,
    '',
    `Extra p99 of a delivery between processes: **${f(extra)} ms** (target ≤ 10 ms); extra p50:`,
    `${f(r.crossProcess.p50 - r.sameProcess.p50)} ms. A delivery`,
    'between processes is: commit on process 1, XADD, the blocking XREAD of process 2 returns,',
    'apply and relay there. Both topologies stayed connected for the whole run and were measured in',
    'alternating windows, so the other load on the machine hit both alike.',
    '',
    `**Throughput with 1, 2 and 3 processes** (${p.boards} boards × ${p.clientsPerBoard} clients at ${p.throughputRate} edits/s`,
    `per board, writers and receivers spread round-robin over the processes; offered:`,
    `${p.boards * p.throughputRate * (p.clientsPerBoard - 1)} deliveries/s):`,
    '',
    '"missing": deliveries not seen within 1.5 s after the window (late, not lost: the tests show',
    'nothing is lost; an overloaded process falls behind).',
    '',
    '| processes | deliveries/s | p50 ms | p99 ms | missing |',
    '|---|---|---|---|---|',
    ...r.throughput.map(
      (t) =>
        `| ${t.processes} | ${t.stats.perSecond} | ${f(t.stats.p50)} | ${f(t.stats.p99)} | ${t.stats.missing} |`,
    ),
    '',
    extra <= 10 && r.crossProcess.missing === 0
      ? `**Target (≤ 10 ms extra p99 between processes): met** in this run (${f(extra)} ms).`
      : `**Target (≤ 10 ms extra p99 between processes): not met** in this run (${f(extra)} ms${r.crossProcess.missing > 0 ? `, ${r.crossProcess.missing} deliveries later than the drain` : ''}).`,
    '',
    '*Caveat*: this machine has 2 cores, shared by the load generator (every client is in the',
    'bench process), Postgres, Redis and the server processes. Every extra wakeup on the path',
    '(Redis, the second process) waits for a core when the machine is busy: a run under other',
    "load (see the load average above) shows that wait more than the hop's own cost, and more",
    'processes than cores cannot add throughput. The throughput table shows the cost of the hop',
    'on one 2-core machine, not the scaling of a machine with a core per process.',
    '<!-- cluster:end -->',
  ];
  return lines.join('\n');
}

/** Puts the cluster section into the report, replacing an earlier one. */
export function spliceCluster(report: string, section: string): string {
  const re = /<!-- cluster:start -->[\s\S]*<!-- cluster:end -->/;
  return re.test(report) ? report.replace(re, section) : `${report.trimEnd()}\n\n${section}\n`;
}
