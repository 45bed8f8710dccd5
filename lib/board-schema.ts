import * as Y from 'yjs';
import type {
  BoardSnapshot,
  BoardStatus,
  ContestedSnapshot,
  CriterionSnapshot,
  DecisionDraft,
  EvidenceSnapshot,
  OptionSnapshot,
  SourceSnapshot,
} from './board-types';
import { DECISION_STATUSES } from './board-types';
import { LIMITS } from './limits';
import {
  type BoardTemplate,
  isEditorialCheck,
  type TemplateEvidence,
  templateEvidenceId,
  templateEvidenceIndex,
} from './template';

/**
 * The board document schema (documented in docs/PROTOCOL.md, "Board document"):
 *
 * - `meta`     Y.Map   title, question, context, createdAt, status, templateId
 * - `options`  Y.Array<Y.Map>  id, name, description
 * - `criteria` Y.Array<Y.Map>  id, name, description, weight, evidence (Y.Array of plain
 *                              EvidenceSnapshot objects), contested (plain object or null)
 * - `sources`  Y.Array of plain SourceSnapshot objects
 * - `notes`    Y.Text
 * - `decision` Y.Map   the DecisionDraft fields
 *
 * Text fields are plain strings (last writer wins per field); ids never change once
 * written, names are editable. Every accessor clamps what it writes to LIMITS so the
 * browser never produces an update the server would refuse.
 */

export type YOption = Y.Map<unknown>;
export type YCriterion = Y.Map<unknown>;

export const DOC_KEYS = {
  meta: 'meta',
  options: 'options',
  criteria: 'criteria',
  sources: 'sources',
  notes: 'notes',
  decision: 'decision',
} as const;

export const getMeta = (doc: Y.Doc): Y.Map<unknown> => doc.getMap(DOC_KEYS.meta);
export const getOptions = (doc: Y.Doc): Y.Array<YOption> => doc.getArray<YOption>(DOC_KEYS.options);
export const getCriteria = (doc: Y.Doc): Y.Array<YCriterion> => doc.getArray<YCriterion>(DOC_KEYS.criteria);
export const getSources = (doc: Y.Doc): Y.Array<SourceSnapshot> =>
  doc.getArray<SourceSnapshot>(DOC_KEYS.sources);
export const getNotes = (doc: Y.Doc): Y.Text => doc.getText(DOC_KEYS.notes);
export const getDecision = (doc: Y.Doc): Y.Map<unknown> => doc.getMap(DOC_KEYS.decision);

const clamp = (value: string, max: number): string => value.slice(0, max);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Empty decision draft: nothing chosen, status proposed. */
export const EMPTY_DECISION: DecisionDraft = {
  chosenOptionId: '',
  reason: '',
  consequencesGood: '',
  consequencesBad: '',
  confirmation: '',
  status: 'proposed',
  decisionMakers: '',
  consulted: '',
  informed: '',
  reviewDate: '',
};

export type MetaTextField = 'title' | 'question' | 'context';
const META_LIMITS: Record<MetaTextField, number> = {
  title: LIMITS.MAX_TITLE_CHARS,
  question: LIMITS.MAX_QUESTION_CHARS,
  context: LIMITS.MAX_NOTES_CHARS,
};

export function setMetaText(doc: Y.Doc, field: MetaTextField, value: string): void {
  getMeta(doc).set(field, clamp(value, META_LIMITS[field]));
}

function makeOption(option: OptionSnapshot): YOption {
  const m = new Y.Map<unknown>();
  m.set('id', option.id);
  m.set('name', clamp(option.name, LIMITS.MAX_NAME_CHARS));
  m.set('description', clamp(option.description, LIMITS.MAX_DESCRIPTION_CHARS));
  return m;
}

function makeCriterion(c: CriterionSnapshot): YCriterion {
  const m = new Y.Map<unknown>();
  m.set('id', c.id);
  m.set('name', clamp(c.name, LIMITS.MAX_NAME_CHARS));
  m.set('description', clamp(c.description, LIMITS.MAX_DESCRIPTION_CHARS));
  m.set('weight', clampWeight(c.weight));
  const evidence = new Y.Array<EvidenceSnapshot>();
  evidence.push(c.evidence);
  m.set('evidence', evidence);
  m.set('contested', c.contested);
  return m;
}

/** Weights are integers in [MIN_WEIGHT, MAX_WEIGHT]; anything else is clamped. */
export function clampWeight(weight: number): number {
  if (!Number.isFinite(weight)) return LIMITS.MIN_WEIGHT;
  return Math.min(LIMITS.MAX_WEIGHT, Math.max(LIMITS.MIN_WEIGHT, Math.round(weight)));
}

/** A template's claim or editorial check as a plain evidence entry (no undefined fields). */
function templateEvidenceSnapshot(
  criterionKey: string,
  index: number,
  e: TemplateEvidence,
): EvidenceSnapshot {
  const id = templateEvidenceId(criterionKey, index, e);
  if (isEditorialCheck(e)) {
    return {
      id,
      optionId: e.option,
      text: e.text,
      origin: { type: 'editorial', basis: e.editorial.basis, checks: [...e.editorial.checks] },
    };
  }
  return {
    id,
    optionId: e.option,
    text: e.text,
    origin: { type: 'source', sourceId: e.source, ...(e.locator ? { locator: e.locator } : {}) },
  };
}

/**
 * Writes a template into an empty document, in one transaction. Option and criterion ids
 * are the template keys (stable, unique within a board); evidence ids are the template's claim
 * ids; a contested point's sides quote the claims it lists, with their ids and locators.
 */
export function initBoardFromTemplate(doc: Y.Doc, template: BoardTemplate, createdAt: string): void {
  const claims = templateEvidenceIndex(template.criteria);
  doc.transact(() => {
    const meta = getMeta(doc);
    meta.set('title', clamp(template.title, LIMITS.MAX_TITLE_CHARS));
    meta.set('question', clamp(template.question, LIMITS.MAX_QUESTION_CHARS));
    meta.set('context', clamp(template.context, LIMITS.MAX_NOTES_CHARS));
    meta.set('createdAt', createdAt);
    meta.set('status', 'open' satisfies BoardStatus);
    meta.set('templateId', template.id);
    getOptions(doc).push(
      template.options.map((o) => makeOption({ id: o.key, name: o.name, description: o.description })),
    );
    getSources(doc).push(
      template.sources.map((s) => ({
        id: s.id,
        title: s.title,
        ...(s.shortTitle ? { shortTitle: s.shortTitle } : {}),
        ...(s.publisher ? { publisher: s.publisher } : {}),
        ...(s.url ? { url: s.url } : {}),
        ...(s.date ? { date: s.date } : {}),
      })),
    );
    getCriteria(doc).push(
      template.criteria.map((c) =>
        makeCriterion({
          id: c.key,
          name: c.name,
          description: c.description,
          weight: c.weight,
          evidence: c.evidence.map((e, i) => templateEvidenceSnapshot(c.key, i, e)),
          contested: c.contested
            ? {
                summary: c.contested.summary,
                sides: c.contested.claims.flatMap((claimId) => {
                  const found = claims.get(claimId)?.item;
                  if (found === undefined || isEditorialCheck(found)) return [];
                  return [
                    {
                      sourceId: found.source,
                      claim: found.text,
                      claimId,
                      ...(found.locator ? { locator: found.locator } : {}),
                    },
                  ];
                }),
              }
            : null,
        }),
      ),
    );
    const decision = getDecision(doc);
    for (const [k, v] of Object.entries(EMPTY_DECISION)) decision.set(k, v);
  });
}

// ---- options -------------------------------------------------------------------------

export function addOption(doc: Y.Doc, option: OptionSnapshot): boolean {
  const options = getOptions(doc);
  if (options.length >= LIMITS.MAX_OPTIONS) return false;
  options.push([makeOption(option)]);
  return true;
}

export function findIndexById(arr: Y.Array<Y.Map<unknown>>, id: string): number {
  return arr.toArray().findIndex((m) => m.get('id') === id);
}

export function updateOption(
  doc: Y.Doc,
  id: string,
  patch: Partial<Pick<OptionSnapshot, 'name' | 'description'>>,
): void {
  const option = getOptions(doc)
    .toArray()
    .find((m) => m.get('id') === id);
  if (!option) return;
  doc.transact(() => {
    if (patch.name !== undefined) option.set('name', clamp(patch.name, LIMITS.MAX_NAME_CHARS));
    if (patch.description !== undefined)
      option.set('description', clamp(patch.description, LIMITS.MAX_DESCRIPTION_CHARS));
  });
}

export function removeOption(doc: Y.Doc, id: string): void {
  const options = getOptions(doc);
  const i = findIndexById(options, id);
  if (i >= 0) options.delete(i, 1);
}

// ---- criteria ------------------------------------------------------------------------

export function addCriterion(
  doc: Y.Doc,
  criterion: Pick<CriterionSnapshot, 'id' | 'name' | 'description' | 'weight'>,
): boolean {
  const criteria = getCriteria(doc);
  if (criteria.length >= LIMITS.MAX_CRITERIA) return false;
  criteria.push([makeCriterion({ ...criterion, evidence: [], contested: null })]);
  return true;
}

export function updateCriterion(
  doc: Y.Doc,
  id: string,
  patch: Partial<Pick<CriterionSnapshot, 'name' | 'description' | 'weight'>>,
): void {
  const c = getCriteria(doc)
    .toArray()
    .find((m) => m.get('id') === id);
  if (!c) return;
  doc.transact(() => {
    if (patch.name !== undefined) c.set('name', clamp(patch.name, LIMITS.MAX_NAME_CHARS));
    if (patch.description !== undefined)
      c.set('description', clamp(patch.description, LIMITS.MAX_DESCRIPTION_CHARS));
    if (patch.weight !== undefined) c.set('weight', clampWeight(patch.weight));
  });
}

export function removeCriterion(doc: Y.Doc, id: string): void {
  const criteria = getCriteria(doc);
  const i = findIndexById(criteria, id);
  if (i >= 0) criteria.delete(i, 1);
}

/**
 * Moves a criterion to `toIndex`. Yjs arrays cannot move an element, so the criterion is
 * re-created at the new place with the same id and content, in one transaction.
 */
export function moveCriterion(doc: Y.Doc, id: string, toIndex: number): void {
  const criteria = getCriteria(doc);
  const from = findIndexById(criteria, id);
  if (from < 0) return;
  const target = Math.max(0, Math.min(criteria.length - 1, toIndex));
  if (target === from) return;
  const snapshot = readCriterion(criteria.get(from));
  doc.transact(() => {
    criteria.delete(from, 1);
    criteria.insert(target, [makeCriterion(snapshot)]);
  });
}

/** Appends a participant's evidence to a criterion. Returns false when the criterion is gone. */
export function addEvidence(doc: Y.Doc, criterionId: string, evidence: EvidenceSnapshot): boolean {
  const c = getCriteria(doc)
    .toArray()
    .find((m) => m.get('id') === criterionId);
  const list = c?.get('evidence');
  if (!(list instanceof Y.Array)) return false;
  list.push([evidence]);
  return true;
}

// ---- notes ----------------------------------------------------------------------------

/**
 * Replaces the notes with `value` by editing only the changed middle (common prefix and
 * suffix kept), so two people typing in different places of the notes both keep their text.
 */
export function setNotes(doc: Y.Doc, value: string): void {
  const text = getNotes(doc);
  const next = value.slice(0, LIMITS.MAX_NOTES_CHARS);
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  while (start < current.length && start < next.length && current[start] === next[start]) start++;
  let end = 0;
  while (
    end < current.length - start &&
    end < next.length - start &&
    current[current.length - 1 - end] === next[next.length - 1 - end]
  ) {
    end++;
  }
  doc.transact(() => {
    const removed = current.length - start - end;
    if (removed > 0) text.delete(start, removed);
    const inserted = next.slice(start, next.length - end);
    if (inserted) text.insert(start, inserted);
  });
}

// ---- decision draft --------------------------------------------------------------------

export type DecisionTextField = Exclude<keyof DecisionDraft, 'status'>;

export function setDecisionField(doc: Y.Doc, field: DecisionTextField, value: string): void {
  getDecision(doc).set(field, clamp(value, LIMITS.MAX_NOTES_CHARS));
}

export function setDecisionStatus(doc: Y.Doc, status: DecisionDraft['status']): void {
  getDecision(doc).set('status', status);
}

// ---- reading ---------------------------------------------------------------------------

function readOption(m: YOption): OptionSnapshot {
  return { id: str(m.get('id')), name: str(m.get('name')), description: str(m.get('description')) };
}

function readCriterion(m: YCriterion): CriterionSnapshot {
  const evidence = m.get('evidence');
  const weight = m.get('weight');
  const contested = m.get('contested');
  return {
    id: str(m.get('id')),
    name: str(m.get('name')),
    description: str(m.get('description')),
    weight: typeof weight === 'number' && Number.isFinite(weight) ? weight : 0,
    evidence: evidence instanceof Y.Array ? (evidence.toArray() as EvidenceSnapshot[]) : [],
    contested: isContested(contested) ? contested : null,
  };
}

function isContested(v: unknown): v is ContestedSnapshot {
  return typeof v === 'object' && v !== null && typeof (v as ContestedSnapshot).summary === 'string';
}

export function readOptions(doc: Y.Doc): OptionSnapshot[] {
  return getOptions(doc)
    .toArray()
    .filter((m) => m instanceof Y.Map)
    .map(readOption);
}

export function readCriteria(doc: Y.Doc): CriterionSnapshot[] {
  return getCriteria(doc)
    .toArray()
    .filter((m) => m instanceof Y.Map)
    .map(readCriterion);
}

export function readDecision(doc: Y.Doc): DecisionDraft {
  const d = getDecision(doc);
  const status = d.get('status');
  return {
    chosenOptionId: str(d.get('chosenOptionId')),
    reason: str(d.get('reason')),
    consequencesGood: str(d.get('consequencesGood')),
    consequencesBad: str(d.get('consequencesBad')),
    confirmation: str(d.get('confirmation')),
    status: DECISION_STATUSES.includes(status as DecisionDraft['status'])
      ? (status as DecisionDraft['status'])
      : 'proposed',
    decisionMakers: str(d.get('decisionMakers')),
    consulted: str(d.get('consulted')),
    informed: str(d.get('informed')),
    reviewDate: str(d.get('reviewDate')),
  };
}

export function readBoardStatus(doc: Y.Doc): BoardStatus {
  const s = getMeta(doc).get('status');
  return s === 'locked' || s === 'finalized' ? s : 'open';
}

/** A plain, JSON-safe copy of the whole board. */
export function readBoard(doc: Y.Doc): BoardSnapshot {
  const meta = getMeta(doc);
  return {
    title: str(meta.get('title')),
    question: str(meta.get('question')),
    context: str(meta.get('context')),
    createdAt: str(meta.get('createdAt')),
    status: readBoardStatus(doc),
    options: readOptions(doc),
    criteria: readCriteria(doc),
    sources: getSources(doc)
      .toArray()
      .filter((s) => typeof s === 'object' && s !== null),
    notes: getNotes(doc).toString(),
    decision: readDecision(doc),
  };
}
