import * as Y from 'yjs';
import { ID_PATTERN } from './board-doc-schema';
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
import type { BoardTemplate, TemplateEvidence } from './template';
import { isEditorialCheck, templateEvidenceId, templateEvidenceIndex } from './template-evidence';
import { sanitizeLine, sanitizeText } from './text-safety';

/**
 * The board document schema (documented in docs/PROTOCOL.md, "Board document"):
 *
 * - `meta`     Y.Map   title, question, context, createdAt, status, templateId
 * - `options`  Y.Array<Y.Map>  id, name, description (Y.Text)
 * - `criteria` Y.Array<Y.Map>  id, name, description (Y.Text), weight, evidence (Y.Array of plain
 *                              EvidenceSnapshot objects), contested (plain object or null)
 * - `sources`  Y.Array of plain SourceSnapshot objects
 * - `notes`    Y.Text
 * - `question` Y.Text
 * - `history`, `removedCriteria`  Y.Array of plain objects, server-only (lib/board-history.ts)
 * - `decision` Y.Map   the DecisionDraft fields
 *
 * Option and criterion descriptions are a Y.Text inside their map (shared text, merged
 * character by character); a board from before keeps string descriptions until the server
 * migrates them on load (`migrateDescriptions`), and readers take either. Other text fields
 * are plain strings (last writer wins per field); ids never change once written, names are
 * editable. The rules of every key are data in `board-doc-schema.ts`,
 * which the server enforces on every update; every accessor here writes only what those
 * rules allow (clamped to LIMITS, control and invisible characters removed), so the
 * browser never produces an update the server would refuse. Readers tolerate anything:
 * an entry that breaks the schema (e.g. stored before the server checked) is skipped or
 * read as empty, never a crash.
 */

export type YOption = Y.Map<unknown>;
export type YCriterion = Y.Map<unknown>;

export const DOC_KEYS = {
  meta: 'meta',
  options: 'options',
  criteria: 'criteria',
  sources: 'sources',
  notes: 'notes',
  question: 'question',
  decision: 'decision',
} as const;

export const getMeta = (doc: Y.Doc): Y.Map<unknown> => doc.getMap(DOC_KEYS.meta);
export const getOptions = (doc: Y.Doc): Y.Array<YOption> => doc.getArray<YOption>(DOC_KEYS.options);
export const getCriteria = (doc: Y.Doc): Y.Array<YCriterion> => doc.getArray<YCriterion>(DOC_KEYS.criteria);
export const getSources = (doc: Y.Doc): Y.Array<SourceSnapshot> =>
  doc.getArray<SourceSnapshot>(DOC_KEYS.sources);
export const getNotes = (doc: Y.Doc): Y.Text => doc.getText(DOC_KEYS.notes);
/**
 * The question, as collaborative text (character-level merge). Boards created before it was
 * a Y.Text keep it in `meta.question` until the first edit moves it here (`setQuestion`).
 */
export const getQuestion = (doc: Y.Doc): Y.Text => doc.getText(DOC_KEYS.question);
export const getDecision = (doc: Y.Doc): Y.Map<unknown> => doc.getMap(DOC_KEYS.decision);

/** One line of safe text, at most `max` characters (names, the title). */
const clamp = (value: string, max: number): string => sanitizeLine(value, max);
/** Safe multi-line text, at most `max` characters (descriptions, the question, the draft). */
const clampText = (value: string, max: number): string => sanitizeText(value, max);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Signs a value only the server may write (an evidence entry, a contested point) so the
 * server's document guard can tell it from a forgery. Given by the server; the browser
 * never seals (and so can only copy sealed values, e.g. when moving a criterion).
 */
export type ValueSealer = (scope: string, value: Record<string, unknown>) => string;
/** Seal scopes bind a value to its criterion: a sealed claim cannot be moved under another. */
export const evidenceSealScope = (criterionId: string): string => `evidence:${criterionId}`;
export const contestedSealScope = (criterionId: string): string => `contested:${criterionId}`;

function sealed<T extends object>(value: T, scope: string, seal: ValueSealer | undefined): T {
  return seal ? { ...value, sig: seal(scope, value as Record<string, unknown>) } : value;
}

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
  // The question is shared text now: edited in place, character by character.
  if (field === 'question') {
    setQuestion(doc, value);
    return;
  }
  const max = META_LIMITS[field];
  getMeta(doc).set(field, field === 'title' ? clamp(value, max) : clampText(value, max));
}

/** A description as shared text, clamped to the limit. */
const descriptionText = (value: string): Y.Text => new Y.Text(clampText(value, LIMITS.MAX_DESCRIPTION_CHARS));

function makeOption(option: OptionSnapshot): YOption {
  const m = new Y.Map<unknown>();
  m.set('id', option.id);
  m.set('name', clamp(option.name, LIMITS.MAX_NAME_CHARS));
  m.set('description', descriptionText(option.description));
  return m;
}

/**
 * A criterion map. Evidence and the contested point are copied as they are: when the
 * server creates them it seals them first; when a browser re-creates a criterion (a move)
 * it copies the sealed values, which the server accepts.
 */
function makeCriterion(c: CriterionSnapshot): YCriterion {
  const m = new Y.Map<unknown>();
  m.set('id', c.id);
  m.set('name', clamp(c.name, LIMITS.MAX_NAME_CHARS));
  m.set('description', descriptionText(c.description));
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
export function initBoardFromTemplate(
  doc: Y.Doc,
  template: BoardTemplate,
  createdAt: string,
  seal?: ValueSealer,
): void {
  const claims = templateEvidenceIndex(template.criteria);
  doc.transact(() => {
    const meta = getMeta(doc);
    meta.set('title', clamp(template.title, LIMITS.MAX_TITLE_CHARS));
    getQuestion(doc).insert(0, clampText(template.question, LIMITS.MAX_QUESTION_CHARS));
    meta.set('context', clampText(template.context, LIMITS.MAX_NOTES_CHARS));
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
          evidence: c.evidence.map((e, i) =>
            sealed(templateEvidenceSnapshot(c.key, i, e), evidenceSealScope(c.key), seal),
          ),
          contested: c.contested
            ? sealed<ContestedSnapshot>(
                {
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
                },
                contestedSealScope(c.key),
                seal,
              )
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
  return arr.toArray().findIndex((m) => m instanceof Y.Map && m.get('id') === id);
}

export function updateOption(
  doc: Y.Doc,
  id: string,
  patch: Partial<Pick<OptionSnapshot, 'name' | 'description'>>,
): void {
  const option = getOptions(doc)
    .toArray()
    .find((m) => m instanceof Y.Map && m.get('id') === id);
  if (!option) return;
  doc.transact(() => {
    if (patch.name !== undefined) option.set('name', clamp(patch.name, LIMITS.MAX_NAME_CHARS));
    if (patch.description !== undefined) setDescription(doc, option, patch.description);
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
    .find((m) => m instanceof Y.Map && m.get('id') === id);
  if (!c) return;
  doc.transact(() => {
    if (patch.name !== undefined) c.set('name', clamp(patch.name, LIMITS.MAX_NAME_CHARS));
    if (patch.description !== undefined) setDescription(doc, c, patch.description);
    if (patch.weight !== undefined) c.set('weight', clampWeight(patch.weight));
  });
}

/**
 * The shared text of an option's or criterion's description, or null when it is still a string
 * (a board from before, not yet migrated by the server) or missing.
 */
export function getDescription(m: Y.Map<unknown>): Y.Text | null {
  const d = m.get('description');
  return d instanceof Y.Text ? d : null;
}

/** The description of an option or criterion map: its shared text, or a string from before. */
export function readDescription(m: Y.Map<unknown>): string {
  const d = m.get('description');
  return d instanceof Y.Text ? d.toString() : str(d);
}

/** The option or criterion map with this id (first one, as readers show it), or null. */
export function findMap(list: Y.Array<Y.Map<unknown>>, id: string): Y.Map<unknown> | null {
  for (const m of list.toArray()) if (m instanceof Y.Map && m.get('id') === id) return m;
  return null;
}

/**
 * Edits a description into `value`, character by character (only the changed middle), so two
 * people typing in it both keep their words. A string description from before becomes shared
 * text with its content.
 */
export function setDescription(doc: Y.Doc, m: Y.Map<unknown>, value: string): void {
  const next = clampText(value, LIMITS.MAX_DESCRIPTION_CHARS);
  const text = getDescription(m);
  if (text) replaceText(doc, text, next);
  else m.set('description', new Y.Text(next));
}

/**
 * Turns string descriptions (boards from before they were shared text) into shared text with
 * the same content, in one transaction; true when anything changed. The server runs it when
 * it loads a board, before anyone can edit, so two people's first edits never each make their
 * own text (one would be lost).
 */
export function migrateDescriptions(doc: Y.Doc): boolean {
  const legacy: Y.Map<unknown>[] = [];
  for (const list of [getOptions(doc), getCriteria(doc)]) {
    for (const m of list.toArray()) {
      if (m instanceof Y.Map && m.has('description') && !(m.get('description') instanceof Y.Text)) {
        legacy.push(m);
      }
    }
  }
  if (legacy.length === 0) return false;
  doc.transact(() => {
    for (const m of legacy) m.set('description', descriptionText(str(m.get('description'))));
  });
  return true;
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

/**
 * Puts a criterion (a removed one, restored) at `index` with its id and content: sealed
 * evidence and contested point are copied as they are, and stay valid under the same id.
 */
export function insertCriterion(doc: Y.Doc, c: CriterionSnapshot, index: number): void {
  const criteria = getCriteria(doc);
  criteria.insert(Math.max(0, Math.min(criteria.length, Math.trunc(index) || 0)), [makeCriterion(c)]);
}

/**
 * Appends evidence to a criterion (the server does this for `evidence:add`, sealing it).
 * Returns false when the criterion is gone.
 */
export function addEvidence(
  doc: Y.Doc,
  criterionId: string,
  evidence: EvidenceSnapshot,
  seal?: ValueSealer,
): boolean {
  const c = getCriteria(doc)
    .toArray()
    .find((m) => m instanceof Y.Map && m.get('id') === criterionId);
  const list = c?.get('evidence');
  if (!(list instanceof Y.Array)) return false;
  list.push([sealed(evidence, evidenceSealScope(criterionId), seal)]);
  return true;
}

// ---- notes ----------------------------------------------------------------------------

/**
 * Replaces the notes with `value` by editing only the changed middle (common prefix and
 * suffix kept), so two people typing in different places of the notes both keep their text.
 */
export function setNotes(doc: Y.Doc, value: string): void {
  replaceText(doc, getNotes(doc), value.slice(0, LIMITS.MAX_NOTES_CHARS));
}

/** The question: the shared text, or on a board from before it was one, `meta.question`. */
export function readQuestion(doc: Y.Doc): string {
  const text = getQuestion(doc).toString();
  return text !== '' ? text : str(getMeta(doc).get('question'));
}

/**
 * Replaces the question by editing only the changed middle of the shared text. On an older
 * board the first edit moves the question out of `meta.question` (emptied in the same
 * transaction), so readers never see it twice.
 */
export function setQuestion(doc: Y.Doc, value: string): void {
  const next = clampText(value, LIMITS.MAX_QUESTION_CHARS);
  const text = getQuestion(doc);
  const legacy = str(getMeta(doc).get('question'));
  if (text.length === 0 && legacy !== '') {
    doc.transact(() => {
      getMeta(doc).set('question', '');
      if (next) text.insert(0, next);
    });
    return;
  }
  replaceText(doc, text, next);
}

/**
 * Edits `text` into `next` by replacing only the changed middle (common prefix and suffix
 * kept), so two people typing in different places both keep their text.
 */
function replaceText(doc: Y.Doc, text: Y.Text, next: string): void {
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
  let v = clampText(value, LIMITS.MAX_NOTES_CHARS);
  // Keys with a format: anything else would be refused by the server.
  if (field === 'chosenOptionId' && v !== '' && !ID_PATTERN.test(v)) v = '';
  if (field === 'reviewDate' && v !== '' && !/^\d{4}-\d{2}-\d{2}$/.test(v)) v = '';
  getDecision(doc).set(field, v);
}

export function setDecisionStatus(doc: Y.Doc, status: DecisionDraft['status']): void {
  getDecision(doc).set('status', status);
}

// ---- reading ---------------------------------------------------------------------------

function readOption(m: YOption): OptionSnapshot {
  return { id: str(m.get('id')), name: str(m.get('name')), description: readDescription(m) };
}

export function readCriterion(m: YCriterion): CriterionSnapshot {
  const evidence = m.get('evidence');
  const weight = m.get('weight');
  const contested = m.get('contested');
  return {
    id: str(m.get('id')),
    name: str(m.get('name')),
    description: readDescription(m),
    weight: typeof weight === 'number' && Number.isFinite(weight) ? clampWeight(weight) : 0,
    evidence: evidence instanceof Y.Array ? evidence.toArray().filter(isEvidence) : [],
    contested: isContested(contested) ? contested : null,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An evidence entry as readers need it; anything else stored in the list is skipped. */
export function isEvidence(v: unknown): v is EvidenceSnapshot {
  if (!isObject(v)) return false;
  return (
    typeof v.id === 'string' &&
    typeof v.text === 'string' &&
    (v.optionId === null || typeof v.optionId === 'string') &&
    isObject(v.origin) &&
    typeof v.origin.type === 'string'
  );
}

function isContested(v: unknown): v is ContestedSnapshot {
  return (
    isObject(v) &&
    typeof v.summary === 'string' &&
    Array.isArray(v.sides) &&
    v.sides.every((s) => isObject(s) && typeof s.sourceId === 'string' && typeof s.claim === 'string')
  );
}

/**
 * The maps of a list that carry a usable id, first one per id. Two people moving the same
 * criterion at once can leave two copies with one id; readers show it once.
 */
function uniqueById(arr: Y.Array<Y.Map<unknown>>): Y.Map<unknown>[] {
  const seen = new Set<string>();
  const out: Y.Map<unknown>[] = [];
  for (const m of arr.toArray()) {
    if (!(m instanceof Y.Map)) continue;
    const id = m.get('id');
    if (typeof id !== 'string' || id === '' || seen.has(id)) continue;
    seen.add(id);
    out.push(m);
  }
  return out;
}

export function readOptions(doc: Y.Doc): OptionSnapshot[] {
  return uniqueById(getOptions(doc)).map(readOption);
}

export function readCriteria(doc: Y.Doc): CriterionSnapshot[] {
  return uniqueById(getCriteria(doc)).map(readCriterion);
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
    question: readQuestion(doc),
    context: str(meta.get('context')),
    createdAt: str(meta.get('createdAt')),
    status: readBoardStatus(doc),
    options: readOptions(doc),
    criteria: readCriteria(doc),
    sources: getSources(doc)
      .toArray()
      .filter(
        (s): s is SourceSnapshot => isObject(s) && typeof s.id === 'string' && typeof s.title === 'string',
      ),
    notes: getNotes(doc).toString(),
    decision: readDecision(doc),
  };
}
