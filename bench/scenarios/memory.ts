import { type BenchClient, closeClient, createBoards, openClient, whenSynced } from '../lib/clients';
import { type ServerKind, type ServerProcess, startServer } from '../lib/proc';
import { sleep } from '../lib/stats';
import { templateDoc } from '../lib/template';
import type { MemReply } from '../servers/ipc';

export interface MemoryResult {
  kind: ServerKind;
  boards: number;
  baseline: MemReply;
  loaded: MemReply;
  afterLeave: MemReply;
  /** How long the server took to drop every room after the last client left (ms), or null. */
  evictedAfterMs: number | null;
}

/**
 * In a child server started with --expose-gc: memory with no board loaded (after ten other
 * boards were loaded and left, to warm the server up), with `boards` boards loaded (one
 * connected client each), and after every client has left. Each sample follows two full GCs
 * in the child.
 */
export async function measureMemory(kind: ServerKind, boards: number): Promise<MemoryResult> {
  const server = await startServer(kind, { exposeGc: true });
  try {
    const WARM_UP_BOARDS = 10;
    const all =
      kind === 'ours'
        ? await createBoards(server, boards + WARM_UP_BOARDS)
        : Array.from({ length: boards + WARM_UP_BOARDS }, (_, i) => `mem-${Date.now()}-${i}`);
    const rooms = all.slice(WARM_UP_BOARDS);
    // Load and leave a few other boards first, so that one-time costs (compiled code, caches,
    // pools) are in the baseline and not counted per board.
    const warm = all
      .slice(0, WARM_UP_BOARDS)
      .map((room) => openClient(server, room, kind === 'ours' ? undefined : templateDoc()));
    await Promise.all(warm.map((c) => whenSynced(c)));
    await sleep(300);
    for (const c of warm) closeClient(c);
    await waitForRooms(server, kind === 'classic' ? WARM_UP_BOARDS : 0, 5000);
    await sleep(300);
    const baseline = await server.mem();

    const clients: BenchClient[] = [];
    const BATCH = 20;
    for (let i = 0; i < rooms.length; i += BATCH) {
      const batch = rooms
        .slice(i, i + BATCH)
        .map((room) => openClient(server, room, kind === 'ours' ? undefined : templateDoc()));
      await Promise.all(batch.map((c) => whenSynced(c)));
      clients.push(...batch);
    }
    await sleep(1000);
    const loaded = await server.mem();

    for (const c of clients) closeClient(c);
    const evictedAfterMs = await waitForRooms(server, 0, 5000);
    await sleep(500);
    const afterLeave = await server.mem();
    return { kind, boards, baseline, loaded, afterLeave, evictedAfterMs };
  } finally {
    await server.stop();
  }
}

/** Polls the server's loaded-room count until it is at most `target`; the time taken, or null. */
async function waitForRooms(
  server: ServerProcess,
  target: number,
  timeoutMs: number,
): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if ((await server.rooms()) <= target) return Date.now() - t0;
    await sleep(25);
  }
  return null;
}
