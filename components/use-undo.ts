'use client';

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import * as Y from 'yjs';

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
  const [label, setLabel] = useState<string | null>(null);
  useEffect(() => {
    const refresh = () => {
      const top = manager.undoStack.at(-1);
      setLabel(top ? ((top.meta.get('label') as string | undefined) ?? 'my last edit') : null);
    };
    const added = ({ stackItem, type }: { stackItem: { meta: Map<unknown, unknown> }; type: string }) => {
      if (type === 'undo' && nextLabel.current) stackItem.meta.set('label', nextLabel.current);
      nextLabel.current = null;
      refresh();
    };
    manager.on('stack-item-added', added);
    manager.on('stack-item-popped', refresh);
    manager.on('stack-cleared', refresh);
    return () => {
      manager.off('stack-item-added', added);
      manager.off('stack-item-popped', refresh);
      manager.off('stack-cleared', refresh);
      manager.destroy();
    };
  }, [manager]);

  /** Runs a local edit as one undo step with a label ("remove “Cost”"). */
  const labelled = useCallback(
    (what: string, edit: () => void) => {
      manager.stopCapturing();
      nextLabel.current = what;
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
