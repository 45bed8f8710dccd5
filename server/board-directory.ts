import * as Y from 'yjs';
import { initBoardFromTemplate } from '@/lib/board-schema';
import { secretSchema } from '@/lib/protocol';
import type { BoardTemplate } from '@/lib/template';
import { hashSecret, newSecret } from './secrets';
import type { BoardRow, BoardStore } from './storage/types';

export interface CreatedBoard {
  id: string;
  facilitatorKey: string;
  viewerKey: string;
}

export interface DocAccess {
  boardId: string;
  readOnly: boolean;
}

/** Thrown for a template id no data file defines. */
export class UnknownTemplateError extends Error {
  constructor(readonly templateId: string) {
    super(`unknown template "${templateId}"`);
  }
}

/** Creates boards from templates and resolves the secrets that name them. */
export class BoardDirectory {
  constructor(
    private readonly store: BoardStore,
    readonly templates: Map<string, BoardTemplate>,
  ) {}

  async createBoard(templateId: string, title: string | undefined, now: Date): Promise<CreatedBoard> {
    const template = this.templates.get(templateId);
    if (!template) throw new UnknownTemplateError(templateId);
    const doc = new Y.Doc();
    initBoardFromTemplate(doc, title ? { ...template, title } : template, now.toISOString());
    const update = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    const created: CreatedBoard = { id: newSecret(), facilitatorKey: newSecret(), viewerKey: newSecret() };
    await this.store.createBoard(
      {
        id: created.id,
        facilitatorKeyHash: hashSecret(created.facilitatorKey),
        viewerKeyHash: hashSecret(created.viewerKey),
        viewerKey: created.viewerKey,
        templateId,
        createdAt: now.toISOString(),
      },
      update,
    );
    return created;
  }

  async getBoard(id: string): Promise<BoardRow | null> {
    if (!secretSchema.safeParse(id).success) return null;
    return this.store.getBoard(id);
  }

  async getBoardByViewerKey(viewerKey: string): Promise<BoardRow | null> {
    if (!secretSchema.safeParse(viewerKey).success) return null;
    return this.store.findBoardByViewerKeyHash(hashSecret(viewerKey));
  }

  /** A /yjs room name is a board id (read-write) or a viewer key (read-only). */
  async resolveDocRoom(room: string): Promise<DocAccess | null> {
    const board = await this.getBoard(room);
    if (board) return { boardId: board.id, readOnly: false };
    const viewed = await this.getBoardByViewerKey(room);
    return viewed ? { boardId: viewed.id, readOnly: true } : null;
  }
}
