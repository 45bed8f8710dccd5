import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { readBoard, setMetaText, setNotes } from '@/lib/board-schema';
import { type CreateBoardResponse, EVENTS, type JoinResult, type Result } from '@/lib/protocol';
import {
  CLUSTER_REDIS_URL,
  type ClusterNode,
  clusterSkipReason,
  freePort,
  freshDatabase,
  sameContent,
  startNode,
  waitFor,
} from '../helpers/doc-cluster';
import { command, docParams, type TestSocket, tempDataDir } from '../helpers/server';

/**
 * One test of the shipped deploy/nginx.conf: nginx (Debian's package) in front of three
 * processes, every client through it, each from its own loopback address (the config hashes
 * on the client's address).
 */
const ROOT = path.resolve(import.meta.dirname, '../..');

function nginxBinary(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx'])
    if (fs.existsSync(candidate)) return candidate;
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
const NGINX = nginxBinary();
const skipReason =
  clusterSkipReason ?? (NGINX ? null : 'nginx is not installed (apt-get install nginx-light; .ci/run does)');
if (skipReason && !clusterSkipReason) console.warn(`nginx suite skipped: ${skipReason}`);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch (err) {
      console.warn('cleanup failed', err);
    }
  }
});

/**
 * Runs nginx in the foreground with the shipped config, its upstream servers and listen port
 * replaced, and every path (pid, logs, temp files) under its own prefix. The wrapper adds a
 * header naming the process that answered, so the test can tell where a client lands.
 */
async function startNginx(upstreams: number[]): Promise<{ url: string; stop(): Promise<void> }> {
  const prefix = tempDataDir();
  const port = await freePort();
  let site = fs.readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8');
  site = site.replace(/^\s*server 127\.0\.0\.1:\d+.*$\n/gm, '');
  site = site.replace(
    /hash \$remote_addr consistent;/,
    `hash $remote_addr consistent;\n${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n')}`,
  );
  site = site.replace(/listen 80;/, `listen 127.0.0.1:${port};`);
  for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(prefix, dir));
  const conf = `worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  add_header X-Upstream $upstream_addr always;
${site}
}
`;
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(
    NGINX as string,
    ['-p', prefix, '-e', `${prefix}/error.log`, '-c', `${prefix}/nginx.conf`, '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    () => child.exitCode !== null || fs.existsSync(`${prefix}/nginx.pid`),
    'nginx started',
    10_000,
  );
  if (child.exitCode !== null) throw new Error(`nginx did not start: ${output}`);
  return {
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      fs.rmSync(prefix, { recursive: true, force: true });
    },
  };
}

/** GET through nginx from a given loopback address: which process answered. */
function upstreamOf(url: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/healthz`, { localAddress }, (res) => {
      res.resume();
      resolve(String(res.headers['x-upstream'] ?? ''));
    });
    req.on('error', reject);
  });
}

/** ws from a given loopback address, for y-websocket. */
function wsFrom(localAddress: string): typeof globalThis.WebSocket {
  class FromAddress extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { localAddress });
    }
  }
  return FromAddress as unknown as typeof globalThis.WebSocket;
}

async function person(url: string, boardId: string, localAddress: string, name: string) {
  const socket: TestSocket = ioClient(url, {
    transports: ['websocket'],
    ...({ localAddress } as object),
  });
  const joined = await command<Result<JoinResult>>(socket, EVENTS.boardJoin, {
    as: 'participant',
    boardId,
    name,
  });
  socket.disconnect();
  if (!joined.ok || !joined.data.credentials) throw new Error(`join failed: ${JSON.stringify(joined)}`);
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${url.replace(/^http/, 'ws')}/yjs`, boardId, doc, {
    WebSocketPolyfill: wsFrom(localAddress),
    disableBc: true,
    maxBackoffTime: 300,
    params: docParams(joined.data.credentials),
  });
  cleanups.push(() => {
    provider.destroy();
    doc.destroy();
  });
  await waitFor(() => provider.synced, `${name} synced`, 15_000);
  return { doc, provider };
}

describe.skipIf(skipReason)(
  'nginx in front of three processes (deploy/nginx.conf)',
  { timeout: 180_000 },
  () => {
    it('[D18] [D19] clients through nginx on different processes see each other’s edits; when a process dies its client comes back through nginx on another and nothing acknowledged is lost', async () => {
      const db = await freshDatabase();
      cleanups.push(() => db.drop());
      const nodes: ClusterNode[] = await Promise.all(
        [0, 1, 2].map(() => startNode(db.url, CLUSTER_REDIS_URL)),
      );
      for (const n of nodes) cleanups.push(() => n.server.stop());
      const lb = await startNginx(nodes.map((n) => n.port));
      cleanups.push(() => lb.stop());

      // Loopback addresses that nginx sends to different processes.
      const byUpstream = new Map<string, string>();
      for (let i = 2; i < 60 && byUpstream.size < 3; i++) {
        const address = `127.0.0.${i}`;
        const upstream = await upstreamOf(lb.url, address);
        if (upstream && !byUpstream.has(upstream)) byUpstream.set(upstream, address);
      }
      expect(byUpstream.size).toBeGreaterThanOrEqual(2);
      const spread = [...byUpstream];
      const [upstreamA, addrA] = spread[0] as [string, string];
      const addrB = (spread[1] as [string, string])[1];
      const third = spread[2];

      const res = await fetch(`${lb.url}/api/boards`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ template: 'django-vs-node' }),
      });
      expect(res.status).toBe(201);
      const board = (await res.json()) as CreateBoardResponse;
      const a = await person(lb.url, board.id, addrA, 'Ann');
      const b = await person(lb.url, board.id, addrB, 'Ben');
      const c = third ? await person(lb.url, board.id, third[1], 'Cy') : b;

      setMetaText(a.doc, 'title', 'From Ann');
      await waitFor(
        () => readBoard(b.doc).title === 'From Ann' && readBoard(c.doc).title === 'From Ann',
        'Ann → all',
      );
      setNotes(b.doc, 'From Ben');
      await waitFor(
        () => readBoard(a.doc).notes === 'From Ben' && readBoard(c.doc).notes === 'From Ben',
        'Ben → all',
      );
      const seenByB = Y.encodeStateVector(b.doc);

      // Ann's process dies; her client reconnects through nginx, which sends it to another.
      const annNode = nodes.find((n) => upstreamA === `127.0.0.1:${n.port}`);
      expect(annNode).toBeDefined();
      await annNode?.server.kill9();
      await waitFor(() => !a.provider.wsconnected, 'Ann noticed', 15_000);
      await waitFor(() => a.provider.wsconnected && a.provider.synced, 'Ann back through nginx', 20_000);
      setMetaText(a.doc, 'title', 'Ann again');
      await waitFor(() => readBoard(b.doc).title === 'Ann again', 'Ann’s new edit reached Ben', 15_000);
      await waitFor(() => sameContent(a.doc, b.doc) && sameContent(b.doc, c.doc), 'all converge', 15_000);
      const have = Y.decodeStateVector(Y.encodeStateVector(b.doc));
      for (const [client, clock] of Y.decodeStateVector(seenByB))
        expect(have.get(client) ?? 0).toBeGreaterThanOrEqual(clock);
    });
  },
);
