/**
 * One process of the cluster bench (bench/scenarios/cluster.ts): createServer on Postgres and
 * Redis (BENCH_DATABASE_URL, BENCH_REDIS_URL) on BENCH_PORT, the UI off, the bench's one
 * client address exempt from the per-address limits (as in bench/servers/ours.ts).
 */
import { createServer } from '@/server/create-server';
import { createLogger } from '@/server/logger';

const { BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_PORT } = process.env;
if (!BENCH_DATABASE_URL || !BENCH_REDIS_URL || !BENCH_PORT) {
  throw new Error('BENCH_DATABASE_URL, BENCH_REDIS_URL and BENCH_PORT are required');
}
const unlimited = { capacity: 1e9, refillPerSecond: 1e9 };
const server = await createServer(
  {
    port: Number(BENCH_PORT),
    host: '127.0.0.1',
    dataDir: '/nonexistent',
    publicUrl: null,
    sqliteSynchronous: 'NORMAL',
    databaseUrl: BENCH_DATABASE_URL,
    redisUrl: BENCH_REDIS_URL,
    // Its own prefix per run: no other Redis traffic on this machine (tests, heartbeats) mixes in.
    redisPrefix: process.env.BENCH_REDIS_PREFIX ?? 'decision-board',
    rateLimitRedisTimeoutMs: 250,
    ui: 'none',
    logLevel: 'silent',
    trustProxyHops: 0,
    allowedOrigins: [],
  },
  {
    log: createLogger('silent'),
    httpRateLimits: { boardCreatePerAddress: unlimited, boardCreateGlobal: unlimited },
    yjsConnectsPerAddress: unlimited,
    sessionAddressLimits: { commands: unlimited, newParticipants: unlimited },
  },
);
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
