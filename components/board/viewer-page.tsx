'use client';

import { useBoardConnection } from '../use-board-connection';
import { BoardView } from './board-view';

/** The read-only view behind a viewer link: no name asked, nothing editable, no board id. */
export function ViewerPage({ viewerKey }: { viewerKey: string }) {
  const conn = useBoardConnection({ as: 'viewer', viewerKey });
  return (
    <BoardView
      conn={conn}
      links={{ participant: null, viewer: null, facilitator: null }}
      downloadHref={`/api/view/${viewerKey}/decision.md`}
    />
  );
}
