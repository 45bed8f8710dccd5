/**
 * Hocuspocus 4 with its SQLite extension (a fresh file in BENCH_DATA_DIR), default settings
 * otherwise (debounced stores: debounce 2 s, maxDebounce 10 s). Same IPC as ours.ts.
 */
import path from 'node:path';
import { SQLite } from '@hocuspocus/extension-sqlite';
import { Server } from '@hocuspocus/server';
import { installIpc } from './ipc';

const dataDir = process.env.BENCH_DATA_DIR;
if (!dataDir) throw new Error('BENCH_DATA_DIR is required');

const server = new Server({
  port: 0,
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: true,
  extensions: [new SQLite({ database: path.join(dataDir, 'hocuspocus.sqlite') })],
});
await server.listen();
installIpc(() => server.hocuspocus.getDocumentsCount());
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));

process.send?.({ type: 'ready', port: server.address.port });
