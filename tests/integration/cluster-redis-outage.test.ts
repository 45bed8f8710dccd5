import { createClient } from 'redis';
import { Server } from 'socket.io';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, type JoinResult, type Result, type SessionState } from '@/lib/protocol';
import { type BusMember, DocBus } from '@/server/cluster/doc-bus';
import { connectFanOut } from '@/server/create-server';
import { createLogger } from '@/server/logger';
import { Cluster, type Node } from '../helpers/cluster';
import { ownRedis } from '../helpers/doc-cluster';
import { explainSkip } from '../helpers/postgres';
import { command, waitFor } from '../helpers/server';
import { expectOk, joinBoard, type Member } from '../helpers/session';

/**
 * The session channel across processes while the adapter's Redis is away (docs/ARCHITECTURE.md,
 * "Redis restarts"): each process keeps serving its own clients, keeps nothing of what it could
 * not send (node-redis's offline queue has no bound), and when Redis is back every process
 * catches up, so clients everywhere converge on what a fresh join shows.
 */
const skip = explainSkip('Session channel through a Redis outage', ['TEST_DATABASE_URL', 'TEST_REDIS_URL']);

/** Generous: the processes reconnect to Redis with a backoff of up to 2 s. */
const ACROSS_MS = 20_000;

/** What every participant of the board sees alike (not `you`, not the clock). */
const shared = (s: SessionState) => ({
  roster: s.roster,
  settings: s.settings,
  rounds: s.rounds,
  viewersOnline: s.viewersOnline,
});

/** Calls of a command Redis has served since it started (INFO commandstats). */
async function calls(url: string, name: string): Promise<number> {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    const info = await client.info('commandstats');
    const match = new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(info);
    return match ? Number(match[1]) : 0;
  } finally {
    client.destroy();
  }
}

/** The state a new connection of `m` on `node` joins with: what the server renders now. */
async function freshJoin(node: Node, boardId: string, m: Member, name: string): Promise<SessionState> {
  const joined = await command<Result<JoinResult>>(node.socket(), EVENTS.boardJoin, {
    as: 'participant',
    boardId,
    name,
    participantId: m.id,
    token: m.token,
  });
  return expectOk(joined).state;
}

describe.skipIf(skip)('the session channel across processes while Redis is away', () => {
  let cluster: Cluster | undefined;
  const after: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await cluster?.cleanup();
    cluster = undefined;
    for (const a of after.splice(0)) await a();
  });

  it("[L1] [S7] the session channel's Redis clients keep nothing while Redis is away: notices fail at once, the process stays responsive, and nothing sent meanwhile reaches Redis when it is back", async () => {
    const redis = await ownRedis();
    after.push(() => redis.kill());
    const log = createLogger('silent');
    const [a, b] = [
      await connectFanOut(redis.url, 'outage', log),
      await connectFanOut(redis.url, 'outage', log),
    ];
    const returned = { a: 0, b: 0 };
    a.link.onReturn(() => returned.a++);
    b.link.onReturn(() => returned.b++);
    const [ioA, ioB] = [new Server({ adapter: a.adapter }), new Server({ adapter: b.adapter })];
    after.unshift(async () => {
      // Not io.close(): these servers have no HTTP server. Closing the adapter ends its readers.
      for (const io of [ioA, ioB]) await io.of('/').adapter.close();
      await a.close();
      await b.close();
    });
    let heard = 0;
    ioB.on('ping', () => heard++);
    await waitFor(() => a.link.isUp() && b.link.isUp(), 'both connected');
    // The adapter's reading clients are connected once a notice crosses.
    await waitFor(() => {
      ioA.serverSideEmit('ping');
      return heard > 0;
    }, 'a notice crosses before the outage');

    // (Also told once at start-up, when the adapter's readers first connected.)
    const toldBefore = { ...returned };
    await redis.kill();
    await waitFor(() => !a.link.isUp() && !b.link.isUp(), 'both see Redis gone');
    const notices = 500;
    for (let i = 0; i < notices; i++) ioA.serverSideEmit('ping');
    // Timers still fire: no client retries a refused read in a tight loop.
    await new Promise((resolve) => setTimeout(resolve, 50));

    await redis.start();
    await waitFor(() => a.link.isUp() && b.link.isUp(), 'both back', ACROSS_MS);
    await waitFor(
      () => returned.a === toldBefore.a + 1 && returned.b === toldBefore.b + 1,
      'both told Redis is back',
    );
    // Nothing of the 500 was kept to be sent now.
    expect(await calls(redis.url, 'publish')).toBe(0);
    const before = heard;
    await waitFor(
      () => {
        ioA.serverSideEmit('ping');
        return heard > before;
      },
      'notices cross again',
      ACROSS_MS,
    );
  }, 60_000);

  it('[S8] [L1] a board loaded and unloaded on the document channel while Redis is away is heard once per awareness message when Redis is back, not once per load', async () => {
    const redis = await ownRedis();
    after.push(() => redis.kill());
    const log = createLogger('silent');
    const [a, b] = [await DocBus.connect(redis.url, 'bus', log), await DocBus.connect(redis.url, 'bus', log)];
    after.unshift(async () => {
      await a.close();
      await b.close();
    });
    const heard: number[] = [];
    const member = (): BusMember => ({
      boardId: 'board',
      receiveEntry() {},
      catchUp() {},
      receiveAwareness: (_processId, update) => heard.push(update[0] ?? -1),
      dropProcessAwareness() {},
      localAwareness: () => null,
    });
    const first = member();
    await b.join(first);

    await redis.kill();
    b.leave(first);
    let last = first;
    // A page opens and closes the board over and over while Redis is away.
    for (let i = 0; i < 5; i++) {
      if (i > 0) b.leave(last);
      last = member();
      await b.join(last);
    }

    await redis.start();
    let sent = 0;
    await waitFor(
      () => {
        if (sent < 250) a.publishAwareness('board', new Uint8Array([sent++]));
        return heard.length > 0;
      },
      'awareness crosses again',
      ACROSS_MS,
    );
    // Each message once (one listener per board, however often it was loaded meanwhile).
    expect(heard.length).toBe(new Set(heard).size);
  }, 60_000);

  it('[S7] [S5] with Redis gone each process serves its clients and keeps none of the notices it cannot send; when Redis is back clients on both processes converge on a fresh join', async () => {
    const redis = await ownRedis();
    after.push(() => redis.kill());
    cluster = await Cluster.start(2, { redisUrl: redis.url });
    const [p1, p2] = cluster.nodes as [Node, Node];
    const board = await p1.createBoard();
    const fac = await joinBoard(p1, board.id, 'Fran', { facilitatorKey: board.facilitatorKey });
    const bea = await joinBoard(p1, board.id, 'Bea');
    const cal = await joinBoard(p2, board.id, 'Cal');
    await waitFor(
      () => cal.latest().roster.length === 3 && fac.latest().roster.length === 3,
      'everyone sees everyone',
      ACROSS_MS,
    );

    await redis.kill();
    // Both processes keep serving their own clients (each command on p1 would have been one
    // notice waiting for Redis).
    const commands = 100;
    for (let i = 0; i < commands; i++) {
      expectOk(await bea.send(EVENTS.participantSpectate, { spectator: i % 2 === 0 }));
    }
    expect(bea.latest().roster.find((e) => e.id === bea.id)?.spectator).toBe(false);
    // Kept in memory only: the other process can only hear of it through a notice.
    expectOk(await fac.send(EVENTS.timerStart, { seconds: 90 }));
    expectOk(await cal.send(EVENTS.participantSpectate, { spectator: true }));
    expect(cal.latest().roster.find((e) => e.id === cal.id)?.spectator).toBe(true);

    await redis.start();
    const wanted = (s: SessionState) =>
      s.settings.timer?.seconds === 90 &&
      s.roster.find((e) => e.id === cal.id)?.spectator === true &&
      s.roster.find((e) => e.id === bea.id)?.spectator === false;
    await waitFor(() => wanted(cal.latest()) && wanted(fac.latest()), 'both processes caught up', ACROSS_MS);
    for (const [node, m, name] of [
      [p1, fac, 'Fran'],
      [p1, bea, 'Bea'],
      [p2, cal, 'Cal'],
    ] as const) {
      const fresh = await freshJoin(node, board.id, m, name);
      await waitFor(
        () => JSON.stringify(shared(m.latest())) === JSON.stringify(shared(fresh)),
        'a client equals a fresh join',
        ACROSS_MS,
      );
    }
    expect(shared(cal.latest())).toEqual(shared(fac.latest()));

    // Nothing of what p1 could not send waited for Redis: the restarted Redis got a handful of
    // publishes (heartbeats, presence, one notice again per board), not one per command.
    expect(await calls(redis.url, 'publish')).toBeLessThan(commands / 2);
  }, 120_000);
});
