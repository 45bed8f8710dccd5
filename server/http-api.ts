import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTP_LIMITS, LIMITS } from '@/lib/limits';
import {
  type CreateBoardResponse,
  createBoardBodySchema,
  describeZodError,
  ERROR_CODES,
  type ErrorCode,
} from '@/lib/protocol';
import { type BoardDirectory, UnknownTemplateError } from './board-directory';
import type { BoardSnapshots } from './board-snapshots';
import { clientAddress } from './client-address';
import { exportDecisionRecord } from './decision-export';
import type { HttpRateLimits } from './http-rate-limits';
import { type Logger, redactSecrets } from './logger';
import { retryAfterSeconds, type Take } from './rate-limit';
import type { BoardStore } from './storage/types';
import type { YjsServer } from './yjs-server';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** How long the HTTP server waits for slow clients (defaults in HTTP_LIMITS; tests shorten them). */
export interface HttpTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  bodyReadTimeoutMs: number;
  timeoutCheckIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: HTTP_LIMITS.HEADERS_TIMEOUT_MS,
  requestTimeoutMs: HTTP_LIMITS.REQUEST_TIMEOUT_MS,
  bodyReadTimeoutMs: HTTP_LIMITS.BODY_READ_TIMEOUT_MS,
  timeoutCheckIntervalMs: HTTP_LIMITS.TIMEOUT_CHECK_INTERVAL_MS,
};

export interface ApiDeps {
  directory: BoardDirectory;
  store: BoardStore;
  yjs: YjsServer;
  log: Logger;
  publicUrl: string | null;
  now: () => Date;
  rateLimits: HttpRateLimits;
  /** Committed board snapshots, read once per document version. */
  snapshots: BoardSnapshots;
  /** Reverse proxies trusted to append to X-Forwarded-For (config TRUST_PROXY). */
  trustProxyHops: number;
  bodyReadTimeoutMs: number;
}

/**
 * Sent with every API answer: the JSON and Markdown we serve are never rendered as pages,
 * framed, or given a Referer (board ids and viewer keys are in our URLs).
 */
export const API_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
} as const;

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
  const path = requestPath(req.url);
  if (path === null) {
    // Not a target any handler (ours or Next's) could route: answer here.
    sendJson(res, 400, { error: { code: ERROR_CODES.BAD_REQUEST, message: 'malformed request target' } });
    return true;
  }
  if (!decodesCleanly(path)) {
    // Next.js answers these with a 500 (its decodeURIComponent throws): refuse them first.
    sendJson(res, 400, {
      error: { code: ERROR_CODES.BAD_REQUEST, message: 'the path has invalid percent-encoding' },
    });
    return true;
  }
  if (path !== '/healthz' && !path.startsWith('/api/')) return false;
  try {
    await route(req, res, path, deps);
  } catch (err) {
    if (err instanceof HttpError) {
      sendJson(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
    } else {
      // Route patterns only: board ids and viewer keys are capabilities, and logs travel.
      deps.log.error('api error', { path: apiRoutePattern(path), error: redactSecrets(String(err)) });
      sendJson(res, 500, { error: { code: ERROR_CODES.INTERNAL, message: 'internal error' } });
    }
  }
  return true;
}

/** The path of a request target, or null when it does not parse (e.g. `//[`). */
export function requestPath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
}

function decodesCleanly(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** What an API path may be logged as: its route, never the secrets in it. */
export function apiRoutePattern(path: string): string {
  if (path === '/healthz' || path === '/api/boards' || path === '/api/templates') return path;
  if (/^\/api\/boards\/[^/]+\/decision\.md$/.test(path)) return '/api/boards/…/decision.md';
  if (/^\/api\/view\/[^/]+\/decision\.md$/.test(path)) return '/api/view/…/decision.md';
  if (/^\/api\/boards\/[^/]+$/.test(path)) return '/api/boards/…';
  return '/api/…';
}

async function route(req: IncomingMessage, res: ServerResponse, path: string, deps: ApiDeps): Promise<void> {
  if (path === '/healthz') {
    requireMethod(req, ['GET', 'HEAD']);
    // Healthy means what we acknowledge is really stored: the storage must answer.
    try {
      await deps.store.checkHealth();
    } catch (err) {
      deps.log.error('health check: storage failed', { error: redactSecrets(String(err)) });
      sendJson(res, 503, { status: 'storage_failed', loadedBoards: deps.yjs.loadedRoomCount });
      return;
    }
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
    // Checked before the body is read: a refused client costs nothing more.
    allowOrThrow(
      deps.rateLimits.boardCreateByAddress(clientAddress(req, deps), deps.now().getTime()),
      'too many boards created from your address',
    );
    const body = await readJsonBody(req, deps.bodyReadTimeoutMs);
    const parsed = createBoardBodySchema.safeParse(body);
    if (!parsed.success) throw new HttpError(400, ERROR_CODES.BAD_REQUEST, describeZodError(parsed.error));
    allowOrThrow(
      await deps.rateLimits.boardCreateGlobal(deps.now().getTime()),
      'this server is creating too many boards right now',
    );
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
    const key = decodePathSegment(record[2] ?? '');
    allowOrThrow(
      deps.rateLimits.boardRead(clientAddress(req, deps), deps.now().getTime()),
      'too many board downloads from your address',
    );
    const board =
      record[1] === 'boards'
        ? await deps.directory.getBoard(key)
        : await deps.directory.getBoardByViewerKey(key);
    if (!board) throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no board with this link');
    const file = await exportDecisionRecord(deps.store, (boardId) => deps.snapshots.read(boardId), board.id, {
      baseUrl: deps.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`,
      now: deps.now(),
    });
    if (!file) throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no board with this id');
    const body = Buffer.from(file.markdown, 'utf8');
    res.writeHead(200, {
      'content-type': 'text/markdown; charset=utf-8',
      'content-length': body.byteLength,
      // The file name is ASCII by construction (decisionRecordFileName).
      'content-disposition': `attachment; filename="${file.fileName}"`,
      'cache-control': 'no-store',
      ...API_SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const match = /^\/api\/boards\/([^/]+)$/.exec(path);
  if (match) {
    requireMethod(req, ['GET']);
    const id = decodePathSegment(match[1] ?? '');
    allowOrThrow(
      deps.rateLimits.boardRead(clientAddress(req, deps), deps.now().getTime()),
      'too many board reads from your address',
    );
    const board = await deps.directory.getBoard(id);
    if (!board) throw new HttpError(404, ERROR_CODES.NOT_FOUND, 'no board with this id');
    const [snapshot, participants, settings] = await Promise.all([
      deps.snapshots.read(board.id),
      deps.store.listParticipants(board.id),
      deps.store.getSettings(board.id),
    ]);
    sendJson(res, 200, {
      id: board.id,
      title: snapshot.title,
      question: snapshot.question,
      // The session channel owns the status; the document only mirrors it.
      status: settings.status,
      createdAt: board.createdAt,
      templateId: board.templateId,
      options: snapshot.options,
      criteria: snapshot.criteria.map(({ id: cid, name, description, weight, evidence, contested }) => ({
        id: cid,
        name,
        description,
        weight,
        // Claims (of the articles and of participants); the board's own checks apart.
        evidenceCount: evidence.filter((e) => e.origin.type !== 'editorial').length,
        editorialChecks: evidence.filter((e) => e.origin.type === 'editorial').length,
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

function requireMethod(req: IncomingMessage, methods: string[]): void {
  if (!methods.includes(req.method ?? 'GET')) {
    throw new HttpError(405, ERROR_CODES.BAD_REQUEST, `use ${methods.join(' or ')}`);
  }
}

/** A path segment decoded, or 400 when its percent-encoding is broken (e.g. `%ZZ`). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, ERROR_CODES.BAD_REQUEST, 'the path has invalid percent-encoding');
  }
}

/** 429 with Retry-After when a rate limit refused. */
function allowOrThrow(take: Take, what: string): void {
  if (take.ok) return;
  const seconds = retryAfterSeconds(take.retryAfterMs);
  throw new HttpError(429, ERROR_CODES.RATE_LIMITED, `${what}; try again in ${seconds} s`, {
    'retry-after': String(seconds),
  });
}

async function readJsonBody(req: IncomingMessage, timeoutMs: number): Promise<unknown> {
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
    throw tooLarge();
  }
  const text = await readBody(req, timeoutMs);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, ERROR_CODES.BAD_REQUEST, 'the body is not valid JSON');
  }
}

const tooLarge = () =>
  new HttpError(
    413,
    ERROR_CODES.PAYLOAD_TOO_LARGE,
    `bodies are at most ${LIMITS.MAX_HTTP_BODY_BYTES} bytes`,
    {
      connection: 'close',
    },
  );

/**
 * The request body as text, at most MAX_HTTP_BODY_BYTES, within `timeoutMs` in total (not
 * per chunk: a client trickling a byte a second must not hold the request open). On
 * refusal the rest of the body is discarded and the connection closed after the answer.
 */
function readBody(req: IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: HttpError | null) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (error) {
        req.resume();
        reject(error);
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > LIMITS.MAX_HTTP_BODY_BYTES) finish(tooLarge());
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    const onClose = () => finish(new HttpError(400, ERROR_CODES.BAD_REQUEST, 'the body was cut off'));
    const timer = setTimeout(
      () =>
        finish(
          new HttpError(
            408,
            ERROR_CODES.REQUEST_TIMEOUT,
            `send the body within ${Math.ceil(timeoutMs / 1000)} s`,
            { connection: 'close' },
          ),
        ),
      timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...API_SECURITY_HEADERS,
    ...headers,
  });
  res.end(text);
}
