// A worker thread of the session scenario (bench/scenarios/session.ts): it plays some of the
// people of the workshop with plain socket.io-client sockets, so the load generator does not
// share the server's event loop and spreads over the machine's cores. Plain JavaScript: it
// runs in a worker thread without the TypeScript loader.
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { io } from 'socket.io-client';

/** Absolute milliseconds, comparable between the threads of one process. */
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** @type {{ socket: import('socket.io-client').Socket, boardId: string, revealedAt: number, armed: boolean, bytes: number }[]} */
let people = [];

function emitAck(socket, event, payload) {
  return new Promise((resolve) => socket.emit(event, payload, resolve));
}

async function join(url, boardId, name) {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
  const person = { socket, boardId, revealedAt: Number.NaN, armed: false, bytes: 0 };
  socket.on('session:patch', (patch) => {
    if (!person.armed) return;
    for (const fields of Object.values(patch.rounds?.set ?? {})) {
      if (fields.status === 'revealed' && Number.isNaN(person.revealedAt)) person.revealedAt = now();
    }
  });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const r = await emitAck(socket, 'board:join', { as: 'participant', boardId, name, protocolVersion: 2 });
  if (!r.ok) throw new Error(`join: ${r.error.message}`);
  return person;
}

/** Casts `cells` one after the other, `intervalMs` apart, after `offsetMs`; returns ack latencies. */
async function cast(person, roundId, cells, intervalMs, offsetMs, value) {
  const latencies = [];
  let errors = 0;
  await sleep(offsetMs);
  let next = now();
  for (const [criterionId, optionId] of cells) {
    const t = now();
    const r = await emitAck(person.socket, 'ballot:cast', {
      roundId,
      criterionId,
      optionId,
      value: value(criterionId, optionId),
    });
    latencies.push(now() - t);
    if (!r.ok) errors++;
    next += intervalMs;
    await sleep(Math.max(0, next - now()));
  }
  return { latencies, errors };
}

async function castAll(msg) {
  const results = await Promise.all(
    people.map((p) => {
      const interval = msg.intervalMs;
      return cast(
        p,
        msg.rounds[p.boardId],
        msg.cells,
        interval,
        Math.random() * (msg.spreadMs ?? interval),
        (c, o) => 1 + ((c.length + o.length + msg.salt) % 5),
      );
    }),
  );
  const latencies = results.flatMap((r) => r.latencies);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  return { latencies, errors };
}

parentPort.on('message', async (msg) => {
  try {
    switch (msg.type) {
      case 'join': {
        people = [];
        for (const b of msg.boards) {
          for (let i = 0; i < b.count; i++) people.push(await join(msg.url, b.boardId, `P${b.first + i}`));
        }
        parentPort.postMessage({ type: 'joined', count: people.length });
        break;
      }
      case 'cast': {
        parentPort.postMessage({ type: 'cast', ...(await castAll(msg)) });
        break;
      }
      case 'arm-reveal': {
        for (const p of people) {
          p.armed = true;
          p.revealedAt = Number.NaN;
        }
        parentPort.postMessage({ type: 'armed' });
        break;
      }
      case 'reveal-times': {
        parentPort.postMessage({
          type: 'reveal-times',
          times: people.map((p) => ({ boardId: p.boardId, at: p.revealedAt })),
        });
        break;
      }
      case 'close': {
        for (const p of people) p.socket.disconnect();
        people = [];
        parentPort.postMessage({ type: 'closed' });
        break;
      }
    }
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.stack : String(err) });
  }
});
