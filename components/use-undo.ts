'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import * as Y from 'yjs';
import { findMap, getCriteria, getOptions } from '@/lib/board-schema';

/** What undoing a removal brings back: a step that is moot once it is back by another way. */
export interface Restores {
  list: 'options' | 'criteria';
  id: string;
}

/**
 * Undo of this person's own edits to the board document (`Y.UndoManager`): only local
 * transactions (origin null) are tracked, never other people's, so undo never reverts someone
 * else's work. Undoing a removal re-creates the criterion or option with the same id, so the
 * scores kept for it attach again.
 */
export function useUndo(doc: Y.Doc) {
  const manager = useMemo(
    () =>
      new Y.UndoManager(
        [doc.getMap('meta'), doc.getArray('options'), doc.getArray('criteria'), doc.getMap('decision')],
        { trackedOrigins: new Set([null]), captureTimeout: 400 },
      ),
    [doc],
  );
  const nextLabel = useRef<string | null>(null);
  const nextRestores = useRef<Restores | null>(null);
  const [label, setLabel] = useState<string | null>(null);
  useEffect(() => {
    const refresh = () => {
      // A removal brought back meanwhile (the facilitator restored it, or another page undid
      // it): undoing it again would make a second copy with the same id, which the server
      // refuses. Such steps are dropped.
      for (let top = manager.undoStack.at(-1); top; top = manager.undoStack.at(-1)) {
        const restores = top.meta.get('restores') as Restores | undefined;
        if (!restores) break;
        const list = restores.list === 'options' ? getOptions(doc) : getCriteria(doc);
        if (findMap(list, restores.id) === null) break;
        manager.undoStack.pop();
      }
      const top = manager.undoStack.at(-1);
      setLabel(top ? ((top.meta.get('label') as string | undefined) ?? 'my last edit') : null);
    };
    const added = ({ stackItem, type }: { stackItem: { meta: Map<unknown, unknown> }; type: string }) => {
      if (type === 'undo' && nextLabel.current) stackItem.meta.set('label', nextLabel.current);
      if (type === 'undo' && nextRestores.current) stackItem.meta.set('restores', nextRestores.current);
      nextLabel.current = null;
      nextRestores.current = null;
      refresh();
    };
    doc.on('update', refresh);
    manager.on('stack-item-added', added);
    manager.on('stack-item-popped', refresh);
    manager.on('stack-cleared', refresh);
    return () => {
      manager.off('stack-item-added', added);
      manager.off('stack-item-popped', refresh);
      manager.off('stack-cleared', refresh);
      doc.off('update', refresh);
      manager.destroy();
    };
  }, [manager, doc]);

  /**
   * Runs a local edit as one undo step with a label ("remove “Cost”"); a removal says what it
   * removed, so the step goes once that is back by another way.
   */
  const labelled = useCallback(
    (what: string, edit: () => void, restores?: Restores) => {
      manager.stopCapturing();
      nextLabel.current = what;
      nextRestores.current = restores ?? null;
      edit();
      manager.stopCapturing();
    },
    [manager],
  );
  const undo = useCallback(() => {
    manager.undo();
  }, [manager]);
  return { label, undo, labelled };
}
