import * as Y from 'yjs';
import { getCriteria, readCriteria, readOptions } from './board-schema';
import type { CriterionSnapshot } from './board-types';
import { LIMITS } from './limits';

/**
 * The board's "who changed what" (SPEC R12) and the criteria the facilitator can restore
 * (SPEC R13). Both are server-only roots of the document (lib/board-doc-schema.ts): the server
 * knows which participant sent each update, compares the structure before and after, and writes
 * what changed; clients only read. Being in the document, they are stored with the board, reach
 * late joiners and survive reloads and restarts like everything else on it.
 */

export type HistoryKind =
  | 'option-added'
  | 'option-removed'
  | 'option-renamed'
  | 'criterion-added'
  | 'criterion-removed'
  | 'criterion-renamed'
  | 'criterion-restored'
  | 'weight';

export interface HistoryEntry {
  /** ISO time on the server. */
  at: string;
  /** Participant id of whoever made the change. */
  by: string;
  /** Their display name then. */
  who: string;
  kind: HistoryKind;
  /** The option or criterion. */
  targetId: string;
  /** Its name (after the change; before it, for a removal). */
  name: string;
  /** Renames and weights: the value before and after. */
  from?: string | number;
  to?: string | number;
}

export interface RemovedCriterion {
  criterion: CriterionSnapshot;
  /** Where it was in the list. */
  index: number;
  at: string;
  by: string;
  who: string;
}

export const getHistory = (doc: Y.Doc): Y.Array<HistoryEntry> => doc.getArray<HistoryEntry>('history');
export const getRemovedCriteria = (doc: Y.Doc): Y.Array<RemovedCriterion> =>
  doc.getArray<RemovedCriterion>('removedCriteria');

const KINDS: readonly string[] = [
  'option-added',
  'option-removed',
  'option-renamed',
  'criterion-added',
  'criterion-removed',
  'criterion-renamed',
  'criterion-restored',
  'weight',
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isFromTo = (v: unknown) => v === undefined || typeof v === 'string' || typeof v === 'number';

function isHistoryEntry(v: unknown): v is HistoryEntry {
  return (
    isObject(v) &&
    typeof v.at === 'string' &&
    typeof v.by === 'string' &&
    typeof v.who === 'string' &&
    typeof v.kind === 'string' &&
    KINDS.includes(v.kind) &&
    typeof v.targetId === 'string' &&
    typeof v.name === 'string' &&
    isFromTo(v.from) &&
    isFromTo(v.to)
  );
}

function isRemovedCriterion(v: unknown): v is RemovedCriterion {
  return (
    isObject(v) &&
    isObject(v.criterion) &&
    typeof v.criterion.id === 'string' &&
    typeof v.criterion.name === 'string' &&
    typeof v.criterion.description === 'string' &&
    typeof v.criterion.weight === 'number' &&
    Array.isArray(v.criterion.evidence) &&
    typeof v.index === 'number' &&
    typeof v.at === 'string' &&
    typeof v.who === 'string'
  );
}

/** The history, oldest first; entries of another shape are skipped (L8). */
export function readHistory(doc: Y.Doc): HistoryEntry[] {
  return getHistory(doc).toArray().filter(isHistoryEntry);
}

/** The criteria that can be restored, latest removal last, one per id (not on the board now). */
export function readRemovedCriteria(doc: Y.Doc): RemovedCriterion[] {
  const live = new Set(readCriteria(doc).map((c) => c.id));
  const byId = new Map<string, RemovedCriterion>();
  for (const r of getRemovedCriteria(doc).toArray()) {
    if (!isRemovedCriterion(r) || live.has(r.criterion.id)) continue;
    byId.delete(r.criterion.id);
    byId.set(r.criterion.id, r);
  }
  return [...byId.values()];
}

/** What the history compares: the options and criteria with their names and weights. */
export interface StructureShape {
  options: { id: string; name: string }[];
  criteria: { id: string; name: string; weight: number }[];
  /** The whole criteria by id, to keep a removed one (read before an update only). */
  full: Map<string, { criterion: CriterionSnapshot; index: number }>;
}

/** The structure as the history compares it; `full` keeps whole criteria for removals. */
export function structureShape(doc: Y.Doc, full: boolean): StructureShape {
  const criteria = full ? readCriteria(doc) : [];
  const map = new Map<string, { criterion: CriterionSnapshot; index: number }>();
  criteria.forEach((criterion, index) => {
    map.set(criterion.id, { criterion, index });
  });
  const light = full
    ? criteria.map((c) => ({ id: c.id, name: c.name, weight: c.weight }))
    : lightCriteria(doc);
  return {
    options: readOptions(doc).map((o) => ({ id: o.id, name: o.name })),
    criteria: light,
    full: map,
  };
}

/** Criteria without reading their evidence or descriptions. */
function lightCriteria(doc: Y.Doc): { id: string; name: string; weight: number }[] {
  const seen = new Set<string>();
  const out: { id: string; name: string; weight: number }[] = [];
  for (const m of getCriteria(doc).toArray()) {
    if (!(m instanceof Y.Map)) continue;
    const id = m.get('id');
    if (typeof id !== 'string' || id === '' || seen.has(id)) continue;
    seen.add(id);
    const name = m.get('name');
    const weight = m.get('weight');
    out.push({
      id,
      name: typeof name === 'string' ? name : '',
      weight: typeof weight === 'number' && Number.isFinite(weight) ? weight : 0,
    });
  }
  return out;
}

type Change = Omit<HistoryEntry, 'at' | 'by' | 'who'>;

/** What changed between two shapes: additions, removals, renames, weights. Moves are not changes. */
export function structureChanges(before: StructureShape, after: StructureShape): Change[] {
  const changes: Change[] = [];
  const lists = [
    ['option', before.options, after.options],
    ['criterion', before.criteria, after.criteria],
  ] as const;
  for (const [what, was, now] of lists) {
    const old = new Map<string, { name: string; weight?: number }>(was.map((x) => [x.id, x]));
    const next = new Map<string, { name: string; weight?: number }>(now.map((x) => [x.id, x]));
    for (const [id, x] of old) {
      if (!next.has(id)) changes.push({ kind: `${what}-removed`, targetId: id, name: x.name });
    }
    for (const [id, x] of next) {
      const prev = old.get(id);
      if (!prev) {
        changes.push({ kind: `${what}-added`, targetId: id, name: x.name });
        continue;
      }
      if (prev.name !== x.name) {
        changes.push({ kind: `${what}-renamed`, targetId: id, name: x.name, from: prev.name, to: x.name });
      }
      if (prev.weight !== undefined && x.weight !== undefined && prev.weight !== x.weight) {
        changes.push({ kind: 'weight', targetId: id, name: x.name, from: prev.weight, to: x.weight });
      }
    }
  }
  return changes;
}

/**
 * Writes changes into the history (and keeps removed criteria), in the current transaction.
 * A rename or weight change of the same thing by the same person soon after their last one
 * updates that entry (typing a name is one change, not one per keystroke); one that ends where
 * it started leaves nothing. The history keeps its last MAX_HISTORY_ENTRIES entries, the
 * removed criteria their last MAX_REMOVED_CRITERIA.
 */
export function recordChanges(
  doc: Y.Doc,
  changes: Change[],
  who: { by: string; who: string; at: Date },
  removed: StructureShape['full'],
): void {
  if (changes.length === 0) return;
  const history = getHistory(doc);
  const removedList = getRemovedCriteria(doc);
  const at = who.at.toISOString();
  for (const change of changes) {
    const entry: HistoryEntry = { at, by: who.by, who: who.who, ...change };
    const last = history.length > 0 ? history.get(history.length - 1) : undefined;
    if (
      (change.kind.endsWith('-renamed') || change.kind === 'weight') &&
      isHistoryEntry(last) &&
      last.kind === change.kind &&
      last.targetId === change.targetId &&
      last.by === who.by &&
      who.at.getTime() - Date.parse(last.at) < LIMITS.HISTORY_COALESCE_MS
    ) {
      history.delete(history.length - 1, 1);
      if (last.from === change.to) continue;
      entry.from = last.from;
    }
    history.push([entry]);
    if (change.kind === 'criterion-removed') {
      const whole = removed.get(change.targetId);
      if (whole) removedList.push([{ ...whole, at, by: who.by, who: who.who }]);
    }
    if (change.kind === 'criterion-added' || change.kind === 'criterion-restored') {
      // Back on the board (an undo, a restore): no longer to restore.
      forgetRemoved(removedList, change.targetId);
    }
  }
  if (history.length > LIMITS.MAX_HISTORY_ENTRIES) {
    history.delete(0, history.length - LIMITS.MAX_HISTORY_ENTRIES);
  }
  if (removedList.length > LIMITS.MAX_REMOVED_CRITERIA) {
    removedList.delete(0, removedList.length - LIMITS.MAX_REMOVED_CRITERIA);
  }
}

function forgetRemoved(list: Y.Array<RemovedCriterion>, id: string): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const r = list.get(i);
    if (isRemovedCriterion(r) && r.criterion.id === id) list.delete(i, 1);
  }
}
