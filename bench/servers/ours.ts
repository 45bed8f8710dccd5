/**
 * Our server for the bench, in its own process: createServer with the UI off, on a free
 * port of 127.0.0.1, with its SQLite file in BENCH_DATA_DIR. Reports { type: 'ready', port }
 * over IPC and answers memory / room-count requests (bench/servers/ipc.ts).
 */
import { createServer } from '@/server/create-server';
import { createLogger } from '@/server/logger';
import { installIpc } from './ipc';

const dataDir = process.env.BENCH_DATA_DIR;
if (!dataDir) throw new Error('BENCH_DATA_DIR is required');

const server = await createServer(
  {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    publicUrl: null,
    sqliteSynchronous: 'NORMAL',
    databaseUrl: null,
    redisUrl: null,
    redisPrefix: 'decision-board',
    rateLimitRedisTimeoutMs: 250,
    ui: 'none',
    logLevel: 'silent',
    trustProxyHops: 0,
    allowedOrigins: [],
  },
  // The bench creates its boards from one address, faster than a person would.
  {
    log: createLogger('silent'),
    httpRateLimits: {
      boardCreatePerAddress: { capacity: 1e9, refillPerSecond: 1e9 },
      boardCreateGlobal: { capacity: 1e9, refillPerSecond: 1e9 },
    },
    // The session bench's hundreds of people share 127.0.0.1; per connection, person and
    // board the product's limits stay.
    yjsConnectsPerAddress: { capacity: 1e9, refillPerSecond: 1e9 },
    sessionAddressLimits: {
      commands: { capacity: 1e9, refillPerSecond: 1e9 },
      newParticipants: { capacity: 1e9, refillPerSecond: 1e9 },
    },
  },
);
installIpc(() => server.yjs.loadedRoomCount);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  // A normal exit, so that --cpu-prof can write its profile.
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));

process.send?.({ type: 'ready', port: server.port });
