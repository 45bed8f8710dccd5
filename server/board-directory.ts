import * as Y from 'yjs';
import { initBoardFromTemplate } from '@/lib/board-schema';
import { secretSchema } from '@/lib/protocol';
import type { BoardTemplate } from '@/lib/template';
import type { DocSeal } from './doc-seal';
import { hashSecret, newSecret } from './secrets';
import type { BoardRow, BoardStore } from './storage/types';

export interface CreatedBoard {
  id: string;
  facilitatorKey: string;
  viewerKey: string;
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
    private readonly seal: DocSeal,
  ) {}

  async createBoard(templateId: string, title: string | undefined, now: Date): Promise<CreatedBoard> {
    const template = this.templates.get(templateId);
    if (!template) throw new UnknownTemplateError(templateId);
    const created: CreatedBoard = { id: newSecret(), facilitatorKey: newSecret(), viewerKey: newSecret() };
    const doc = new Y.Doc();
    // The template's evidence is sealed for this board: the document guard tells it from forgeries.
    initBoardFromTemplate(
      doc,
      title ? { ...template, title } : template,
      now.toISOString(),
      this.seal.sealerFor(created.id),
    );
    const update = Y.encodeStateAsUpdate(doc);
    doc.destroy();
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
}
