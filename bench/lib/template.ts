import * as Y from 'yjs';
import { initBoardFromTemplate } from '@/lib/board-schema';
import { loadTemplates } from '@/server/templates';

const TEMPLATE_ID = 'django-vs-node';

/**
 * A Y.Doc holding the same board our server creates from the template. Peers have no REST
 * API, so the first client of each of their rooms brings this content; the rooms then hold
 * the same document as ours.
 */
export function templateDoc(): Y.Doc {
  const template = loadTemplates().get(TEMPLATE_ID);
  if (!template) throw new Error(`template ${TEMPLATE_ID} missing`);
  const doc = new Y.Doc();
  initBoardFromTemplate(doc, template, new Date().toISOString());
  return doc;
}
