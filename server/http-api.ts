import type { IncomingMessage, ServerResponse } from 'node:http';
import * as Y from 'yjs';
import { readBoard } from '@/lib/board-schema';
import { LIMITS } from '@/lib/limits';
import {
  type CreateBoardResponse,
  createBoardBodySchema,
  describeZodError,
  ERROR_CODES,
  type ErrorCode,
} from '@/lib/protocol';
import { type BoardDirectory, UnknownTemplateError } from './board-directory';
import { exportDecisionRecord } from './decision-export';
import type { Logger } from './logger';
import { docFromStored } from './storage/stored-doc';
import type { BoardStore } from './storage/types';
import type { YjsServer } from './yjs-server';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiDeps {
  directory: BoardDirectory;
  store: BoardStore;
  yjs: YjsServer;
  log: Logger;
  publicUrl: string | null;
  now: () => Date;
}

/** Links for a board. The facilitator key rides in the fragment, which browsers never send. */
export function boardLinks(base: string, id: string, facilitatorKey: string, viewerKey: string) {
  return {
    participant: `${base}/b/${id}`,
    facilitator: `${base}/b/${id}#key=${facilitatorKey}`,
    viewer: `${base}/v/${viewerKey}`,
  };
}

/**
 * REST under /api plus /healthz. Returns false when the request is not ours (so the UI
 * handler takes it).
 */
export async function handleApi(req: IncomingMessage, res: ServerResponse, deps: ApiDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (path !== '/healthz' && !path.startsWith('/api/')) return false;
  try {
    await route(req, res, path, deps);
  } catch (err) {
    if (err instanceof HttpError) {
      sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    } else {
      deps.log.error('api error', {
        path: path.startsWith('/api/boards/') ? '/api/boards/…' : path,
        error: String(err),
      });
      sendJson(res, 500, { error: { code: ERROR_CODES.INTERNAL, message: 'internal error' } });
    }
  }
  return true;
}

async function route(req: IncomingMessage, res: ServerResponse, path: string, deps: ApiDeps): Promise<void> {
  if (path === '/healthz') {
    requireMethod(req, ['GET', 'HEAD']);
    sendJson(res, 200, { status: 'ok', loadedBoards: deps.yjs.loadedRoomCount });
    return;
  }
  if (path === '/api/templates') {
    requireMethod(req, ['GET']);
    sendJson(res, 200, {
      templates: [...deps.directory.templates.values()].map((t) => ({
        id: t.id,
        label: t.label,
        criteria: t.criteria.length,
        options: t.options.length,
      })),
    });
    return;
  }
  if (path === '/api/boards') {
    requireMethod(req, ['POST']);
    const body = await readJsonBody(req);
    const parsed = createBoardBodySchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, ERROR_CODES.BAD_REQUEST, describeZodError(parsed.error));
    try {
      const created = await deps.directory.createBoard(parsed.data.template, parsed.data.title, deps.now());
      const base = deps.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`;
      const response: CreateBoardResponse = {
        ...created,
        links: boardLinks(base, created.id, created.facilitatorKey, created.viewerKey),
      };
      sendJson(res, 201, response);
    } catch (err) {
      if (err instanceof UnknownTemplateError) throw new HttpError(400, ERROR_CODES.BAD_REQUEST, err.message);
      throw err;
    }
    return;
  }
  // The record by board id, or by viewer key (a viewer never learns the board id).
  const record = /^\/api\/(boards|view)\/([^/]+)\/decision\.md$/.exec(path);
  if (record) {
    requireMethod(req, ['GET', 'HEAD']);
    const key = decodeURIComponent(record[2] ?? '');
    const board =
      record[1] === 'boards'
        ? await deps.directory.getBoard(key)
        : await deps.directory.getBoardByViewerKey(key);
    if (!board) throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no board with this link');
    const file = await exportDecisionRecord(
      deps.store,
      async (boardId) => {
        const doc = await loadDoc(deps, boardId);
        const snapshot = readBoard(doc);
        doc.destroy();
        return snapshot;
      },
      board.id,
      { baseUrl: deps.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`, now: deps.now() },
    );
    if (!file) throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no board with this id');
    const body = Buffer.from(file.markdown, 'utf8');
    res.writeHead(200, {
      'content-type': 'text/markdown; charset=utf-8',
      'content-length': body.byteLength,
      // The file name is ASCII by construction (decisionRecordFileName).
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const match = /^\/api\/boards\/([^/]+)$/.exec(path);
  if (match) {
    requireMethod(req, ['GET']);
    const id = decodeURIComponent(match[1] ?? '');
    const board = await deps.directory.getBoard(id);
    if (!board) throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no board with this id');
    const doc = await loadDoc(deps, board.id);
    const snapshot = readBoard(doc);
    doc.destroy();
    const participants = await deps.store.listParticipants(board.id);
    sendJson(res, 200, {
      id: board.id,
      title: snapshot.title,
      question: snapshot.question,
      status: snapshot.status,
      createdAt: board.createdAt,
      templateId: board.templateId,
      options: snapshot.options,
      criteria: snapshot.criteria.map(({ id: cid, name, description, weight, evidence, contested }) => ({
        id: cid,
        name,
        description,
        weight,
        evidenceCount: evidence.length,
        contested: contested !== null,
      })),
      counts: {
        options: snapshot.options.length,
        criteria: snapshot.criteria.length,
        participants: participants.length,
      },
    });
    return;
  }
  throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no such endpoint');
}

/** The board's current document: the live one if loaded, else read from storage. */
export async function loadDoc(deps: Pick<ApiDeps, 'store' | 'yjs'>, boardId: string): Promise<Y.Doc> {
  const live = deps.yjs.loadedRoom(boardId);
  if (live) {
    await live.ready;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(live.doc));
    return doc;
  }
  return docFromStored(await deps.store.loadDocument(boardId));
}

function requireMethod(req: IncomingMessage, methods: string[]): void {
  if (!methods.includes(req.method ?? 'GET')) {
    throw new HttpError(405, ERROR_CODES.BAD_REQUEST, `use ${methods.join(' or ')}`);
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(
      415,
      ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
      'send a JSON body (Content-Type: application/json)',
    );
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > LIMITS.MAX_HTTP_BODY_BYTES) {
    req.resume();
    throw new HttpError(
      413,
      ERROR_CODES.PAYLOAD_TOO_LARGE,
      `bodies are at most ${LIMITS.MAX_HTTP_BODY_BYTES} bytes`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > LIMITS.MAX_HTTP_BODY_BYTES) {
      throw new HttpError(
        413,
        ERROR_CODES.PAYLOAD_TOO_LARGE,
        `bodies are at most ${LIMITS.MAX_HTTP_BODY_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, ERROR_CODES.BAD_REQUEST, 'the body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
