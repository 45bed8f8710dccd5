import type { TemplateEditorialCheck, TemplateEvidence } from './template';

/** Template evidence helpers without zod: the browser loads them (lib/board-schema.ts). */

export function isEditorialCheck(e: TemplateEvidence): e is TemplateEditorialCheck {
  return 'editorial' in e;
}

/** The evidence id a template item gets on a board: its own id, else "<criterion key>-<position>". */
export function templateEvidenceId(criterionKey: string, index: number, e: TemplateEvidence): string {
  return e.id ?? `${criterionKey}-${index + 1}`;
}

/** Every evidence item of a template by its evidence id (ids are unique in a valid template). */
export function templateEvidenceIndex(
  criteria: readonly { key: string; evidence: readonly TemplateEvidence[] }[],
): Map<string, { criterionKey: string; item: TemplateEvidence }> {
  const index = new Map<string, { criterionKey: string; item: TemplateEvidence }>();
  for (const c of criteria) {
    c.evidence.forEach((item, i) => {
      const id = templateEvidenceId(c.key, i, item);
      if (!index.has(id)) index.set(id, { criterionKey: c.key, item });
    });
  }
  return index;
}
