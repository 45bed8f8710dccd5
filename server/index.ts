import { configFromEnv } from './config';
import { createServer } from './create-server';
import { createLogger } from './logger';
import { installProcessGuards } from './process-guards';

/** Composition root: read the configuration, start, and stop cleanly on a signal. */
async function main(): Promise<void> {
  const config = configFromEnv();
  installProcessGuards(createLogger(config.logLevel));
  const server = await createServer(config);
  const data = config.databaseUrl ? 'data in Postgres (DATABASE_URL)' : `data in ${config.dataDir}`;
  const peers = config.redisUrl ? ', other processes through Redis (REDIS_URL)' : '';
  console.log(`Decision Board listening on ${config.publicUrl ?? server.url} (${data}${peers})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
