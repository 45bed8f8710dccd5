import { randomUUID } from 'node:crypto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { createClient, RESP_TYPES } from 'redis';
import { LIMITS } from '@/lib/limits';
import { boardTag, type Logger } from '../logger';
import type { DocClientOwner } from '../storage/types';

/**
 * Bounds and timings of the document channel across processes (docs/ARCHITECTURE.md,
 * "Several processes").
 */
export const CLUSTER = {
  /** Entries kept per board stream (approximately: XADD … MAXLEN ~). Older ones are in the store. */
  STREAM_MAXLEN: 1000,
  /** Longest wait of one blocking XREAD: also how late a newly loaded board may start reading when a re-issue raced. */
  READ_BLOCK_MS: 2000,
  /** Entries read per stream and XREAD. */
  READ_COUNT: 200,
  /** Every process says it is alive this often… */
  HEARTBEAT_MS: 2000,
  /** …and the awareness states of a process silent for this long are removed. */
  PROCESS_SILENT_MS: 6000,
  /** Awareness states from other processes kept per board. */
  MAX_REMOTE_AWARENESS_STATES: 500,
  /** Largest entry accepted from the stream (a batch of updates, each ≤ one message). */
  MAX_ENTRY_BYTES: 8 * LIMITS.MAX_YJS_MESSAGE_BYTES,
  /** Entries beyond a sequence gap kept while the gap may still fill from the stream. */
  MAX_EARLY_ENTRIES: 256,
  /** How long a gap may wait for the stream before the room catches up from the store. */
  GAP_WAIT_MS: 200,
  /** Awareness queries a board answers per second (a process may load, evict and reload a board quickly). */
  AWARENESS_ANSWERS_PER_SECOND: 10,
  /** Boards whose publish failed, remembered to announce their newest sequence number later. */
  MAX_UNPUBLISHED_BOARDS: 10_000,
} as const;

/** One committed batch of a board's document updates, as published by the process that committed it. */
export interface DocEntry {
  processId: string;
  /** Sequence number of the last update; the first is `lastSeq - updates.length + 1`. */
  lastSeq: number;
  /** Empty for a marker that only says "`lastSeq` is committed" (catch up from the store). */
  updates: Uint8Array[];
  /** Owners of Yjs client ids the batch claimed (SPEC D12). */
  owners: DocClientOwner[];
}

/** What the bus needs of a loaded board (BoardRoom implements it). */
export interface BusMember {
  readonly boardId: string;
  /** A committed batch from another process. */
  receiveEntry(entry: DocEntry): void;
  /** The stream may have lost entries (Redis was away): read what is missing from the store. */
  catchUp(): void;
  /** An awareness update from another process (already bounded in size). */
  receiveAwareness(processId: string, update: Uint8Array): void;
  /** A process went silent: remove the awareness states it sent. */
  dropProcessAwareness(processId: string): void;
  /** The awareness states of this process's own connections, encoded, or null when none. */
  localAwareness(): Uint8Array | null;
}

const AWARENESS_UPDATE = 0;
const AWARENESS_QUERY = 1;

type Client = ReturnType<typeof connectClient>;

/** Attempts to reach Redis at start-up before giving up (as the session channel's client). */
const START_ATTEMPTS = 10;

function connectClient(url: string) {
  let connectedOnce = false;
  const client = createClient({
    url,
    // Fail fast while Redis is away: nothing queues up unbounded; the store is the truth.
    disableOfflineQueue: true,
    socket: {
      // At start-up, give up (the server stops with the reason); once up, keep reconnecting.
      reconnectStrategy: (retries: number, cause: Error) =>
        !connectedOnce && retries >= START_ATTEMPTS ? cause : Math.min(50 * 2 ** retries, 1000),
    },
  }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  client.on('ready', () => {
    connectedOnce = true;
  });
  return client;
}

/**
 * The document channel between server processes, on Redis.
 *
 * - After a room commits a batch it is published on the board's stream (XADD, approximate
 *   MAXLEN) with its sequence number and this process's id. Only committed updates are
 *   published, so Redis is never the only copy of anything acknowledged.
 * - One connection reads the streams of every loaded board with one blocking XREAD,
 *   re-issued (CLIENT UNBLOCK) when the set changes. Each room applies entries in sequence
 *   order and catches up from the store on a gap.
 * - When Redis comes back after an outage every room catches up from the store, and the
 *   boards whose publish failed announce their newest sequence number.
 * - Awareness goes over pub/sub per board; every process heartbeats, and the states of a
 *   process silent for `PROCESS_SILENT_MS` are removed.
 */
export class DocBus {
  readonly processId = randomUUID();
  private readonly cmd: Client;
  private readonly reader: Client;
  private readonly sub: Client;
  private readonly members = new Map<string, BusMember>();
  /** Stream position per loaded board (`null`: to be fixed, then caught up from the store). */
  private readonly positions = new Map<string, string | null>();
  private readerId: number | null = null;
  private blocked = false;
  private wake: (() => void) | null = null;
  private readonly lastSeen = new Map<string, number>();
  /** Awareness answers per board in the current second: [second, count]. */
  private readonly answers = new Map<string, [number, number]>();
  private readonly unpublished = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;
  private loop: Promise<void> = Promise.resolve();
  private readerWasReady = false;
  private cmdWasReady = false;

  private readonly keys: Keys;

  private constructor(
    url: string,
    prefix: string,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.keys = new Keys(prefix);
    this.cmd = connectClient(url);
    this.reader = connectClient(url);
    this.sub = connectClient(url);
    for (const [name, client] of [
      ['cmd', this.cmd],
      ['reader', this.reader],
      ['sub', this.sub],
    ] as const) {
      client.on('error', (err: unknown) => {
        if (!this.closed) this.log.warn('redis: connection error', { connection: name, error: String(err) });
      });
    }
    // After an outage the streams may have lost entries (and Redis its data): every board
    // fixes its position again and catches up from the store.
    this.reader.on('ready', () => {
      if (this.readerWasReady) {
        for (const boardId of this.positions.keys()) this.positions.set(boardId, null);
        this.interrupt();
      }
      this.readerWasReady = true;
    });
    this.cmd.on('ready', () => {
      if (this.cmdWasReady) this.announceUnpublished();
      this.cmdWasReady = true;
    });
  }

  static async connect(
    url: string,
    prefix: string,
    log: Logger,
    now: () => number = Date.now,
  ): Promise<DocBus> {
    const bus = new DocBus(url, prefix, log, now);
    try {
      await Promise.all([bus.cmd.connect(), bus.reader.connect(), bus.sub.connect()]);
      await bus.sub.subscribe(bus.keys.heartbeat, (message) => bus.heard(message.toString()), true);
    } catch (err) {
      await bus.close();
      throw new Error(`cannot connect to Redis: ${String(err)}`);
    }
    bus.beat();
    bus.timers.push(setInterval(() => bus.beat(), CLUSTER.HEARTBEAT_MS));
    bus.timers.push(setInterval(() => bus.sweep(), 1000));
    for (const t of bus.timers) t.unref();
    bus.loop = bus.readLoop();
    return bus;
  }

  // ---- documents ------------------------------------------------------------------------------

  /**
   * Starts reading a board's stream from its current end. Resolves before the room reads the
   * store, so every entry committed after that read is either in what it loads or read from
   * the stream. When Redis is away the board is caught up once it is back.
   */
  async join(member: BusMember): Promise<void> {
    const boardId = member.boardId;
    this.members.set(boardId, member);
    let position: string | null = null;
    try {
      position = await this.streamEnd(boardId);
    } catch (err) {
      this.log.warn('redis: cannot read a board stream; catching up later', {
        board: boardTag(boardId),
        error: String(err),
      });
    }
    if (this.members.get(boardId) !== member) return;
    this.positions.set(boardId, position);
    this.interrupt();
    try {
      // One listener for every board: subscribing again (a board reloaded while Redis was away,
      // so its unsubscribe was skipped) adds nothing, where a new closure would be one more call
      // per message for each load.
      await this.sub.subscribe(this.keys.awareness(boardId), this.awarenessListener, true);
      // Others answer with the states of their connections, so people show up at once.
      const encoder = encoding.createEncoder();
      encoding.writeVarString(encoder, this.processId);
      encoding.writeVarUint(encoder, AWARENESS_QUERY);
      await this.cmd.publish(this.keys.awareness(boardId), Buffer.from(encoding.toUint8Array(encoder)));
    } catch (err) {
      this.log.warn('redis: cannot subscribe to a board', { board: boardTag(boardId), error: String(err) });
    }
  }

  leave(member: BusMember): void {
    const boardId = member.boardId;
    if (this.members.get(boardId) !== member) return;
    this.members.delete(boardId);
    this.positions.delete(boardId);
    this.answers.delete(boardId);
    this.interrupt();
    if (!this.closed && this.sub.isReady) {
      this.sub.unsubscribe(this.keys.awareness(boardId)).then(
        () => {},
        (err: unknown) => {
          if (!this.closed) this.log.warn('redis: unsubscribing from a board failed', { error: String(err) });
        },
      );
    }
  }

  /** Publishes a committed batch. Never awaited by the commit: the store already has it. */
  publish(boardId: string, lastSeq: number, updates: Uint8Array[], owners: DocClientOwner[]): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, updates.length);
    for (const u of updates) encoding.writeVarUint8Array(encoder, u);
    const fields = {
      p: this.processId,
      s: String(lastSeq),
      u: Buffer.from(encoding.toUint8Array(encoder)),
      c: JSON.stringify(owners.map((o) => [o.clientId, o.owner])),
    };
    this.cmd
      .xAdd(this.keys.stream(boardId), '*', fields, {
        TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: CLUSTER.STREAM_MAXLEN },
      })
      .then(
        () => {},
        (err: unknown) => {
          // Others learn of it when Redis is back (they catch up, and we announce the seq).
          if (this.unpublished.size < CLUSTER.MAX_UNPUBLISHED_BOARDS || this.unpublished.has(boardId)) {
            this.unpublished.set(boardId, Math.max(lastSeq, this.unpublished.get(boardId) ?? 0));
          }
          if (!this.closed)
            this.log.warn('redis: publish failed', { board: boardTag(boardId), error: String(err) });
        },
      );
  }

  /** Publishes "these sequence numbers are committed" for boards whose publish failed. */
  private announceUnpublished(): void {
    const boards = [...this.unpublished];
    this.unpublished.clear();
    for (const [boardId, seq] of boards) this.publish(boardId, seq, [], []);
  }

  private async streamEnd(boardId: string): Promise<string> {
    const last = await this.cmd.xRevRange(this.keys.stream(boardId), '+', '-', { COUNT: 1 });
    const entry = last?.[0];
    return entry ? entry.id.toString() : '0-0';
  }

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      try {
        await this.fixPositions();
        const streams = [...this.positions]
          .filter((p): p is [string, string] => p[1] !== null)
          .map(([boardId, id]) => ({ key: this.keys.stream(boardId), id }));
        if (streams.length === 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            // Also re-check now and then: a position to fix may be waiting for Redis.
            setTimeout(resolve, CLUSTER.READ_BLOCK_MS).unref();
          });
          this.wake = null;
          continue;
        }
        // Pipelined: the id is known before the XREAD blocks, so a change can unblock it.
        const idReply = this.reader.clientId();
        const read = this.reader.xRead(streams, { BLOCK: CLUSTER.READ_BLOCK_MS, COUNT: CLUSTER.READ_COUNT });
        // Handled here too: if the id's reply fails (the bus closing), nobody awaits `read`.
        read.catch(() => {});
        this.readerId = await idReply;
        this.blocked = true;
        const reply = await read.finally(() => {
          this.blocked = false;
        });
        if (!reply) continue;
        for (const stream of reply as unknown as StreamReply[]) {
          const boardId = String(stream.name).slice(this.keys.streamPrefix.length);
          for (const message of stream.messages) {
            if (this.positions.get(boardId) === undefined) break;
            this.positions.set(boardId, message.id.toString());
            this.dispatch(boardId, message.message);
          }
        }
      } catch (err) {
        if (this.closed) return;
        this.log.warn('redis: reading board streams failed', { error: String(err) });
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** Boards whose position is unknown: read the stream's end, then catch up from the store. */
  private async fixPositions(): Promise<void> {
    for (const [boardId, position] of [...this.positions]) {
      if (position !== null) continue;
      const end = await this.streamEnd(boardId);
      const member = this.members.get(boardId);
      if (!member || this.positions.get(boardId) !== null) continue;
      this.positions.set(boardId, end);
      member.catchUp();
    }
  }

  /** Makes the read loop pick up a changed set of boards now rather than after its block. */
  private interrupt(): void {
    this.wake?.();
    if (!this.blocked || this.readerId === null || this.closed || !this.cmd.isReady) return;
    this.quietly(
      this.cmd.sendCommand(['CLIENT', 'UNBLOCK', String(this.readerId)]),
      'redis: re-issuing the stream read',
    );
  }

  private dispatch(boardId: string, fields: Record<string, Buffer>): void {
    const member = this.members.get(boardId);
    if (!member) return;
    const entry = parseEntry(fields);
    if (!entry) {
      this.log.warn('redis: unreadable stream entry; catching up from the store', {
        board: boardTag(boardId),
      });
      member.catchUp();
      return;
    }
    this.lastSeen.set(entry.processId, this.now());
    if (entry.processId === this.processId) return;
    member.receiveEntry(entry);
  }

  // ---- awareness ----------------------------------------------------------------------------

  /** Publishes awareness changes of this process's connections. */
  publishAwareness(boardId: string, update: Uint8Array): void {
    if (this.closed || !this.cmd.isReady) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, this.processId);
    encoding.writeVarUint(encoder, AWARENESS_UPDATE);
    encoding.writeVarUint8Array(encoder, update);
    this.quietly(
      this.cmd.publish(this.keys.awareness(boardId), Buffer.from(encoding.toUint8Array(encoder))),
      'redis: publishing awareness',
    );
  }

  private readonly awarenessListener = (message: Buffer, channel: Buffer): void => {
    const boardId = this.keys.boardOfAwareness(channel.toString());
    if (boardId !== null) this.onAwareness(boardId, message);
  };

  private onAwareness(boardId: string, message: Buffer): void {
    const member = this.members.get(boardId);
    if (!member || message.byteLength > LIMITS.MAX_AWARENESS_MESSAGE_BYTES + 256) return;
    try {
      const decoder = decoding.createDecoder(message);
      const processId = decoding.readVarString(decoder);
      const type = decoding.readVarUint(decoder);
      if (processId === this.processId || processId.length > 64) return;
      this.lastSeen.set(processId, this.now());
      if (type === AWARENESS_QUERY) {
        const second = Math.floor(this.now() / 1000);
        const [at, count] = this.answers.get(boardId) ?? [second, 0];
        const answered = at === second ? count : 0;
        if (answered >= CLUSTER.AWARENESS_ANSWERS_PER_SECOND) return;
        this.answers.set(boardId, [second, answered + 1]);
        const states = member.localAwareness();
        if (states) this.publishAwareness(boardId, states);
        return;
      }
      if (type === AWARENESS_UPDATE) member.receiveAwareness(processId, decoding.readVarUint8Array(decoder));
    } catch (err) {
      this.log.warn('redis: unreadable awareness message', { board: boardTag(boardId), error: String(err) });
    }
  }

  private beat(): void {
    if (this.closed || !this.cmd.isReady) return;
    this.quietly(this.cmd.publish(this.keys.heartbeat, this.processId), 'redis: heartbeat');
  }

  private heard(processId: string): void {
    if (processId === this.processId || processId.length > 64) return;
    this.lastSeen.set(processId, this.now());
  }

  /**
   * Removes the awareness states of processes that went silent (killed, cut off), and catches
   * every loaded board up once (one read per board per silent process).
   */
  private sweep(): void {
    const now = this.now();
    for (const [processId, seen] of this.lastSeen) {
      if (now - seen < CLUSTER.PROCESS_SILENT_MS) continue;
      this.lastSeen.delete(processId);
      for (const member of this.members.values()) {
        member.dropProcessAwareness(processId);
        // It may have died between a commit and its XADD: nothing else would tell us.
        member.catchUp();
      }
    }
  }

  /** Work nobody waits for; its failure is logged unless the bus is closing. */
  private quietly(work: Promise<unknown>, what: string): void {
    work.then(
      () => {},
      (err: unknown) => {
        if (!this.closed) this.log.warn(what, { error: String(err) });
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.wake?.();
    const clients = [this.cmd, this.reader, this.sub];
    // destroy(): a blocked XREAD would otherwise hold quit() for its whole block.
    for (const c of clients) {
      if (c.isOpen) c.destroy();
    }
    await this.loop.catch(() => {});
  }
}

interface StreamReply {
  name: Buffer | string;
  messages: { id: Buffer | string; message: Record<string, Buffer> }[];
}

/** Redis key and channel names, under the deployment's REDIS_PREFIX. */
class Keys {
  readonly streamPrefix: string;
  readonly heartbeat: string;
  constructor(private readonly prefix: string) {
    this.streamPrefix = `${prefix}:doc:`;
    this.heartbeat = `${prefix}:heartbeat`;
  }
  stream(boardId: string): string {
    return `${this.streamPrefix}${boardId}`;
  }
  awareness(boardId: string): string {
    return `${this.prefix}:awareness:${boardId}`;
  }
  /** The board of an awareness channel, or null when it is not one. */
  boardOfAwareness(channel: string): string | null {
    const start = `${this.prefix}:awareness:`;
    return channel.startsWith(start) ? channel.slice(start.length) : null;
  }
}

/** Reads one stream entry; null when it is not one of ours or is out of bounds. */
export function parseEntry(fields: Record<string, Buffer>): DocEntry | null {
  const { p, s, u, c } = fields;
  if (!p || !s || !u || !c) return null;
  if (u.byteLength > CLUSTER.MAX_ENTRY_BYTES || c.byteLength > 64 * 1024) return null;
  const lastSeq = Number(s.toString());
  if (!Number.isSafeInteger(lastSeq) || lastSeq < 1) return null;
  try {
    const decoder = decoding.createDecoder(u);
    const count = decoding.readVarUint(decoder);
    if (count > LIMITS.MAX_YJS_MESSAGE_BYTES) return null;
    const updates: Uint8Array[] = [];
    for (let i = 0; i < count; i++) updates.push(decoding.readVarUint8Array(decoder));
    if (updates.length > lastSeq) return null;
    const raw: unknown = JSON.parse(c.toString());
    if (!Array.isArray(raw)) return null;
    const owners: DocClientOwner[] = [];
    for (const item of raw) {
      if (!Array.isArray(item) || !Number.isSafeInteger(item[0]) || typeof item[1] !== 'string') return null;
      owners.push({ clientId: item[0] as number, owner: item[1] });
    }
    return { processId: p.toString(), lastSeq, updates, owners };
  } catch {
    return null;
  }
}
