import { LIMITS } from './limits';
import { isSafeLine, isSafeText } from './text-safety';

/**
 * The board document's schema as data: which shared types exist, which keys each map may
 * hold, what values they take and who may write them. The server checks every incoming
 * Yjs update against it before the update touches a board (server/doc-guard.ts); the
 * accessors in board-schema.ts write only what it allows, so a browser never produces an
 * update the server refuses. Documented in docs/PROTOCOL.md ("Board document").
 */

/** What a value must be. */
export type ValueRule =
  | { kind: 'line'; max: number }
  | { kind: 'text'; max: number }
  | { kind: 'weight' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'id' }
  /** An option id, or '' for "none chosen". */
  | { kind: 'optionRef' }
  /** 'YYYY-MM-DD' or ''. */
  | { kind: 'date' }
  /** A Y.Array of server-sealed evidence entries (on a criterion). */
  | { kind: 'evidenceArray' }
  /** null, or a server-sealed plain object (a criterion's contested point). */
  | { kind: 'sealedOrNull' }
  /**
   * Shared text: a Y.Text in the map (merged character by character), plain text of at most
   * `max` characters in all, multi-line, no control or invisible characters.
   */
  | { kind: 'sharedText'; max: number };

/**
 * Who may write a key:
 * - `client`: anyone with write access;
 * - `create`: only when the map is created (ids, a criterion's evidence list); never changed after;
 * - `server`: only the server (the board status, creation facts).
 */
export type Writer = 'client' | 'create' | 'server';

export interface KeyRule {
  value: ValueRule;
  writer: Writer;
  /** Part of the board's structure (weights): frozen while a round is open. */
  structure?: boolean;
}

const line = (max: number): ValueRule => ({ kind: 'line', max });
const text = (max: number): ValueRule => ({ kind: 'text', max });
const client = (value: ValueRule, structure = false): KeyRule => ({ value, writer: 'client', structure });
const sharedText = (max: number): ValueRule => ({ kind: 'sharedText', max });

export const DECISION_STATUS_VALUES = [
  'proposed',
  'accepted',
  'rejected',
  'deprecated',
  'superseded',
] as const;

/** Keys of the `meta` map. */
export const META_RULES: Record<string, KeyRule> = {
  title: client(line(LIMITS.MAX_TITLE_CHARS)),
  question: client(text(LIMITS.MAX_QUESTION_CHARS)),
  context: client(text(LIMITS.MAX_NOTES_CHARS)),
  createdAt: { value: line(40), writer: 'server' },
  status: { value: { kind: 'enum', values: ['open', 'locked', 'finalized'] }, writer: 'server' },
  templateId: { value: line(40), writer: 'server' },
};

/**
 * Descriptions are shared text (SPEC D13): people write them at length, together, so two
 * people typing in one both keep their words. Names stay one-line values (last writer wins):
 * they are short labels that people replace rather than write together, and merging two
 * renames character by character would make a name neither person meant. Descriptions are
 * not structure: they change no cell and no weight, so they stay editable in a round.
 */
/** Keys of an option (a Y.Map in `options`). */
export const OPTION_RULES: Record<string, KeyRule> = {
  id: { value: { kind: 'id' }, writer: 'create' },
  name: client(line(LIMITS.MAX_NAME_CHARS)),
  description: client(sharedText(LIMITS.MAX_DESCRIPTION_CHARS)),
};

/** Keys of a criterion (a Y.Map in `criteria`). */
export const CRITERION_RULES: Record<string, KeyRule> = {
  id: { value: { kind: 'id' }, writer: 'create' },
  name: client(line(LIMITS.MAX_NAME_CHARS)),
  description: client(sharedText(LIMITS.MAX_DESCRIPTION_CHARS)),
  weight: client({ kind: 'weight' }, true),
  evidence: { value: { kind: 'evidenceArray' }, writer: 'create' },
  contested: { value: { kind: 'sealedOrNull' }, writer: 'create' },
};

/** Keys of the `decision` map (the decision draft). */
export const DECISION_RULES: Record<string, KeyRule> = {
  chosenOptionId: client({ kind: 'optionRef' }),
  reason: client(text(LIMITS.MAX_NOTES_CHARS)),
  consequencesGood: client(text(LIMITS.MAX_NOTES_CHARS)),
  consequencesBad: client(text(LIMITS.MAX_NOTES_CHARS)),
  confirmation: client(text(LIMITS.MAX_NOTES_CHARS)),
  status: client({ kind: 'enum', values: DECISION_STATUS_VALUES }),
  decisionMakers: client(text(LIMITS.MAX_NOTES_CHARS)),
  consulted: client(text(LIMITS.MAX_NOTES_CHARS)),
  informed: client(text(LIMITS.MAX_NOTES_CHARS)),
  reviewDate: client({ kind: 'date' }),
};

/**
 * The top-level shared types. `options` and `criteria` are structure (frozen while a
 * round is open); `sources` is written only by the server (the template's articles).
 */
export const ROOTS = {
  meta: { type: 'map', keys: META_RULES },
  options: { type: 'array', element: 'option', max: LIMITS.MAX_OPTIONS },
  criteria: { type: 'array', element: 'criterion', max: LIMITS.MAX_CRITERIA },
  sources: { type: 'array', element: 'server-only' },
  notes: { type: 'text', max: LIMITS.MAX_NOTES_CHARS },
  /** The question as shared text; boards from before keep `meta.question` until first edited. */
  question: { type: 'text', max: LIMITS.MAX_QUESTION_CHARS },
  decision: { type: 'map', keys: DECISION_RULES },
  /**
   * Who changed the structure, and when (SPEC R12): plain entries written by the server only,
   * from the participant each update came from; the last MAX_HISTORY_ENTRIES.
   */
  history: { type: 'array', element: 'server-only' },
  /** The last removed criteria, whole, so the facilitator can restore one (`criterion:restore`). */
  removedCriteria: { type: 'array', element: 'server-only' },
} as const;
export type RootName = keyof typeof ROOTS;

export const isRootName = (name: string): name is RootName => Object.hasOwn(ROOTS, name);

/** Ids of options and criteria: short and URL-safe. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Why `value` breaks `rule`, or null when it is fine. Sealed values are checked by the caller. */
export function valueProblem(rule: ValueRule, value: unknown): string | null {
  switch (rule.kind) {
    case 'line':
      if (typeof value !== 'string') return 'must be text';
      if (value.length > rule.max) return `is longer than ${rule.max} characters`;
      return isSafeLine(value) ? null : 'holds control or invisible characters';
    case 'text':
      if (typeof value !== 'string') return 'must be text';
      if (value.length > rule.max) return `is longer than ${rule.max} characters`;
      return isSafeText(value) ? null : 'holds control or invisible characters';
    case 'weight':
      return Number.isInteger(value) &&
        (value as number) >= LIMITS.MIN_WEIGHT &&
        (value as number) <= LIMITS.MAX_WEIGHT
        ? null
        : `must be a whole number from ${LIMITS.MIN_WEIGHT} to ${LIMITS.MAX_WEIGHT}`;
    case 'enum':
      return typeof value === 'string' && rule.values.includes(value)
        ? null
        : `must be one of ${rule.values.join(', ')}`;
    case 'id':
      return typeof value === 'string' && ID_PATTERN.test(value)
        ? null
        : 'must be an id (letters, digits, - and _)';
    case 'optionRef':
      return value === '' || (typeof value === 'string' && ID_PATTERN.test(value))
        ? null
        : 'must be an option id';
    case 'date':
      return value === '' || (typeof value === 'string' && DATE_PATTERN.test(value))
        ? null
        : 'must be a date';
    case 'evidenceArray':
      return 'must be a list of evidence';
    case 'sealedOrNull':
      return value === null ? null : 'must be written by the server';
    case 'sharedText':
      return 'must be shared text (a Y.Text)';
  }
}
