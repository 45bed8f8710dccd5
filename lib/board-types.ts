/**
 * Plain-data views of a board. The live board is a Y.Doc (see `board-schema.ts`);
 * these snapshots are what pure code (consensus math, the decision record, the
 * REST summary) works on, so that none of it depends on Yjs.
 */

/** An option the team is choosing between, e.g. "Django". */
export interface OptionSnapshot {
  id: string;
  name: string;
  description: string;
}

/**
 * Where a piece of evidence came from:
 * - `source`: a claim from one of the board's articles, with its section in that article;
 * - `participant`: something a participant added (optionally with a link);
 * - `editorial`: the board's own check on one or more claims (`checks`, evidence ids), for claims
 *   that are doubtful in themselves, with what the check rests on (`basis`). It is never a claim of
 *   an article and is shown apart from them.
 *
 * Entries are plain JSON objects in the document; readers ignore fields they do not know (the
 * server may add a signature, for example).
 */
export type EvidenceOrigin =
  | {
      type: 'source';
      sourceId: string;
      /** Where the claim is in its article: the section heading(s), e.g. "Key Comparison Points › Performance". */
      locator?: string | undefined;
    }
  | { type: 'participant'; authorName: string; url?: string | undefined }
  | { type: 'editorial'; basis: string; checks: string[] };

/** One claim about one option (or about both, `optionId: null`) on one criterion. */
export interface EvidenceSnapshot {
  /** Stable: template claims keep the id the template gives them (e.g. "showdown-3"). */
  id: string;
  /** The option the claim is about; `null` when it compares the options. */
  optionId: string | null;
  text: string;
  origin: EvidenceOrigin;
}

/** One side of a contested point: a claim of a source. */
export interface ContestedSide {
  sourceId: string;
  claim: string;
  /** The evidence id of the claim this side quotes (absent on boards made before claims had ids). */
  claimId?: string | undefined;
  /** The claim's section in its article, as on the evidence entry. */
  locator?: string | undefined;
}

/** Where the sources disagree on a criterion. */
export interface ContestedSnapshot {
  summary: string;
  sides: ContestedSide[];
}

export interface CriterionSnapshot {
  id: string;
  name: string;
  description: string;
  /** Relative importance, a finite number >= 0. Only ratios matter. */
  weight: number;
  evidence: EvidenceSnapshot[];
  /** Present when the sources disagree on this criterion. */
  contested: ContestedSnapshot | null;
}

export interface SourceSnapshot {
  id: string;
  title: string;
  /** A short name shown after each claim; the full title is shown where there is room. */
  shortTitle?: string | undefined;
  publisher?: string | undefined;
  url?: string | undefined;
  date?: string | undefined;
}

/** Lifecycle of a board; written by the server only. */
export type BoardStatus = 'open' | 'locked' | 'finalized';

export const DECISION_STATUSES = ['proposed', 'accepted', 'rejected', 'deprecated', 'superseded'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/** The decision draft: shared work in the document until the facilitator finalizes. */
export interface DecisionDraft {
  /** Option chosen; empty string = not chosen yet (the record then names the leader as leading). */
  chosenOptionId: string;
  /** Why this option, completing "Chosen option: X, because ...". */
  reason: string;
  consequencesGood: string;
  consequencesBad: string;
  confirmation: string;
  status: DecisionStatus;
  decisionMakers: string;
  consulted: string;
  informed: string;
  /** ISO date (YYYY-MM-DD) or empty. */
  reviewDate: string;
}

export interface BoardSnapshot {
  title: string;
  question: string;
  /** Free-text context for "Context and Problem Statement". */
  context: string;
  createdAt: string;
  status: BoardStatus;
  options: OptionSnapshot[];
  criteria: CriterionSnapshot[];
  sources: SourceSnapshot[];
  notes: string;
  decision: DecisionDraft;
}

// Evidence is written by any document client, so its optional fields are read defensively: a
// field of the wrong type counts as absent rather than breaking the board or the record.

/** Where to check a source claim or contested side in its article, or null when not known. */
export function locatorOf(item: { origin?: unknown; locator?: unknown }): string | null {
  const origin = item.origin as { locator?: unknown } | undefined;
  const locator = origin !== undefined && origin !== null ? origin.locator : item.locator;
  return typeof locator === 'string' && locator.trim() !== '' ? locator : null;
}

/** The evidence ids an editorial check is about (only the well-formed ones). */
export function checkedIds(origin: EvidenceOrigin): string[] {
  if (origin.type !== 'editorial' || !Array.isArray(origin.checks)) return [];
  return origin.checks.filter((id): id is string => typeof id === 'string' && id !== '');
}
