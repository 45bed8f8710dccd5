import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createClient } from 'redis';
import { io as ioClient } from 'socket.io-client';
import type { CreateBoardResponse } from '@/lib/protocol';
import type { PostgresStore } from '@/server/storage/postgres-store';
import { databaseUrlFor, freshSchema, openTestStore, TEST_REDIS_URL } from './postgres';
import type { TestSocket } from './server';
import { tempDataDir } from './server';
import { freePort, type ServerProcess, startServerProcess } from './server-process';

export { freePort };

/** One server process of a cluster, with factories for clients connected to it. */
export interface Node {
  process: ServerProcess;
  url: string;
  /** A Socket.IO client on this process (closed by the cluster's cleanup). */
  socket(): TestSocket;
  createBoard(): Promise<CreateBoardResponse>;
}

/**
 * N real server processes (`node --import tsx server/index.ts`, UI off) on one Postgres
 * database — a fresh schema of their own — and one Redis, under a prefix of their own, so test
 * files running at once never see each other. Started at the same moment (their migrations race).
 */
export class Cluster {
  readonly nodes: Node[] = [];
  private readonly sockets: TestSocket[] = [];
  private readonly stores: PostgresStore[] = [];
  private constructor(
    readonly schema: Awaited<ReturnType<typeof freshSchema>>,
    readonly redisPrefix: string,
  ) {}

  /** `redisUrl`: a Redis of the test's own (e.g. `ownRedis()`, to kill it); default TEST_REDIS_URL. */
  static async start(
    count: number,
    options: { redisUrl?: string; env?: Record<string, string> } = {},
  ): Promise<Cluster> {
    const cluster = new Cluster(await freshSchema(), `test-${randomBytes(6).toString('hex')}`);
    try {
      const started = await Promise.all(
        Array.from({ length: count }, async () => {
          const dataDir = tempDataDir();
          const server = await startServerProcess({
            port: await freePort(),
            dataDir,
            ui: false,
            env: {
              DATABASE_URL: databaseUrlFor(cluster.schema.name),
              REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
              REDIS_PREFIX: cluster.redisPrefix,
              // CLUSTER_LOG=info shows what the processes log (a failing test prints it).
              LOG_LEVEL: process.env.CLUSTER_LOG === 'info' ? 'info' : 'silent',
              ...options.env,
            },
          });
          fs.rmSync(dataDir, { recursive: true, force: true });
          return server;
        }),
      );
      for (const process of started) cluster.nodes.push(cluster.node(process));
    } catch (err) {
      await cluster.cleanup();
      throw err;
    }
    return cluster;
  }

  private node(process: ServerProcess): Node {
    return {
      process,
      url: process.url,
      socket: () => {
        const socket: TestSocket = ioClient(process.url, { transports: ['websocket'], reconnection: false });
        this.sockets.push(socket);
        return socket;
      },
      createBoard: async () => {
        const res = await fetch(`${process.url}/api/boards`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ template: 'django-vs-node' }),
        });
        if (res.status !== 201) throw new Error(`create board failed: ${res.status} ${await res.text()}`);
        return (await res.json()) as CreateBoardResponse;
      },
    };
  }

  /** A store on the cluster's database, to read what is committed. */
  async store(): Promise<PostgresStore> {
    const store = await openTestStore(this.schema.name);
    this.stores.push(store);
    return store;
  }

  async cleanup(): Promise<void> {
    for (const s of this.sockets.splice(0)) s.disconnect();
    await Promise.all(this.nodes.map((n) => n.process.stop()));
    for (const s of this.stores.splice(0)) await s.close();
    await this.schema.drop();
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      for await (const keys of redis.scanIterator({ MATCH: `${this.redisPrefix}:*` })) {
        if (keys.length > 0) await redis.del(keys);
      }
    } finally {
      await redis.close();
    }
  }
}
