import { readBoard } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { docFromStored } from './storage/stored-doc';
import type { BoardStore } from './storage/types';
import type { YjsServer } from './yjs-server';

/** Boards whose snapshot is kept; the least recently read are dropped first. */
export const MAX_CACHED_SNAPSHOTS = 200;

/**
 * What is derived from a board's committed document (the REST summary, the decision
 * record), read once per document version: on a board at the size cap a read costs about
 * a second of CPU, and ten readers must not cost ten.
 *
 * Only committed state is ever read: a loaded board is read from its live document when
 * nothing is waiting to be committed, else from storage.
 */
export class BoardSnapshots {
  private readonly cache = new Map<string, { version: number; snapshot: BoardSnapshot }>();
  private readonly reading = new Map<string, Promise<{ version: number; snapshot: BoardSnapshot }>>();

  constructor(
    private readonly store: BoardStore,
    private readonly yjs: YjsServer,
    private readonly max = MAX_CACHED_SNAPSHOTS,
  ) {}

  async read(boardId: string): Promise<BoardSnapshot> {
    const room = this.yjs.loadedRoom(boardId);
    if (room) {
      await room.ready;
      await room.settled();
    }
    const version = room && !room.isFailed ? room.version : await this.store.documentVersion(boardId);
    const cached = this.cache.get(boardId);
    if (cached && cached.version === version) {
      // Most recently used last.
      this.cache.delete(boardId);
      this.cache.set(boardId, cached);
      return cached.snapshot;
    }
    const key = `${boardId}\u0000${version}`;
    let pending = this.reading.get(key);
    if (!pending) {
      pending = this.readAt(boardId, version);
      this.reading.set(key, pending);
      pending.finally(() => this.reading.delete(key)).catch(() => {});
    }
    const entry = await pending;
    this.remember(boardId, entry);
    return entry.snapshot;
  }

  private async readAt(
    boardId: string,
    version: number,
  ): Promise<{ version: number; snapshot: BoardSnapshot }> {
    const room = this.yjs.loadedRoom(boardId);
    if (room && !room.isFailed && !room.destroyed && !room.hasPending && room.version === version) {
      return { version, snapshot: readBoard(room.doc) };
    }
    // The version first: what is loaded after it holds at least that version (maybe more),
    // so the snapshot is never older than the version it is kept under.
    const readVersion = await this.store.documentVersion(boardId);
    const doc = docFromStored(await this.store.loadDocument(boardId));
    try {
      return { version: readVersion, snapshot: readBoard(doc) };
    } finally {
      doc.destroy();
    }
  }

  private remember(boardId: string, entry: { version: number; snapshot: BoardSnapshot }): void {
    const current = this.cache.get(boardId);
    if (current && current.version > entry.version) return;
    this.cache.delete(boardId);
    this.cache.set(boardId, entry);
    while (this.cache.size > this.max) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}
