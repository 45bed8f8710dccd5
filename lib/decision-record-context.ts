/**
 * The decision record's input types and its rendering context: every name (escaped, anonymized)
 * and the facts every section needs, computed once, plus lookups into a round's consensus and the
 * text for sources and evidence.
 */
import {
  type BoardSnapshot,
  type ContestedSide,
  checkedIds,
  type EvidenceSnapshot,
  locatorOf,
} from './board-types';
import type { ConsensusResult, OptionTotal, Scale } from './consensus-types';
import { formatStat, mean, NO_VALUE, quoted } from './decision-record-format';
import { escapeMarkdownInline, linkLabel, safeHref } from './markdown-escape';

/** One revealed round and the consensus computed from its ballots. */
export interface RecordRound {
  number: number;
  mode: 'blind' | 'open';
  /** ISO timestamp of the reveal, or null. */
  revealedAt: string | null;
  consensus: ConsensusResult;
  /**
   * The round was anonymous: the participant ids in `consensus` are its pseudonyms (`anon-N`,
   * drawn by the server for this round only), shown as "Participant N" and never matched to a
   * name. Fixed when the round started; no board setting changes it.
   */
  anonymous?: boolean;
  /**
   * Who abstained ("don't know") on which cell, with the reason they gave: left out of
   * `consensus`, listed in the record's reasons. Participant ids as in `consensus`.
   */
  abstentions?: { participantId: string; criterionId: string; optionId: string; rationale?: string }[];
}

/** Everything the decision record is rendered from. */
export interface DecisionRecordInput {
  board: BoardSnapshot;
  participants: { id: string; name: string }[];
  /** Revealed rounds, oldest first. May be empty (nothing scored yet). */
  rounds: RecordRound[];
  /**
   * The board hides names: evidence added by participants says "a participant". Which rounds are
   * anonymous is each round's own flag (`RecordRound.anonymous`); this never unmasks one.
   */
  anonymous: boolean;
  /** Link to the board to put in More Information (a read-only viewer link), or null. */
  boardUrl: string | null;
  /** YYYY-MM-DD for the front matter date. */
  date: string;
  /** true once the facilitator finalized; false → status "proposed" and the outcome names the leader as LEADING, not chosen. */
  finalized: boolean;
  scale: Scale;
}

// ---------------------------------------------------------------------------------------------
// Rendering context: names (escaped, anonymized) and the facts every section needs
// ---------------------------------------------------------------------------------------------

/** What every section renders from: the input, and names already escaped (and anonymized). */
export interface RecordContext {
  input: DecisionRecordInput;
  board: BoardSnapshot;
  latest: RecordRound | null;
  optionName: (id: string) => string;
  criterionName: (id: string) => string;
  participantName: (id: string) => string;
  /** Orders cells and rows by the board's criterion, then option order; unknown ids last. */
  cellOrder: (
    a: { criterionId: string; optionId: string },
    b: { criterionId: string; optionId: string },
  ) => number;
  /** The chosen option when finalized with a valid choice, else null. */
  chosenId: string | null;
  /** The latest round's leader, if it is still an option on the board. */
  leaderId: string | null;
  /** What dissent is measured against: the chosen option, else the leader. */
  referenceId: string | null;
}

/**
 * Builds the context once per record: option, criterion and participant names (escaped, or
 * "Option 2" / "Participant 3" when empty or anonymous), the board's ordering, and the chosen and
 * leading options.
 */
export function createContext(input: DecisionRecordInput): RecordContext {
  const { board } = input;
  const latest = input.rounds.length > 0 ? input.rounds[input.rounds.length - 1]! : null;

  const optionNames = new Map<string, string>();
  const optionRank = new Map<string, number>();
  board.options.forEach((option, i) => {
    optionNames.set(option.id, escapeMarkdownInline(option.name) || `Option ${i + 1}`);
    optionRank.set(option.id, i);
  });
  const criterionNames = new Map<string, string>();
  const criterionRank = new Map<string, number>();
  board.criteria.forEach((criterion, i) => {
    criterionNames.set(criterion.id, escapeMarkdownInline(criterion.name) || `Criterion ${i + 1}`);
    criterionRank.set(criterion.id, i);
  });

  // Names are rendered for the latest round's participants only (matrix, dissent, rationales).
  // In an anonymous round they are its pseudonyms: "anon-3" is "Participant 3". Labels never
  // come from the participants order, which everyone on the board can see.
  const latestAnonymous = latest?.anonymous === true;
  const participantNames = new Map<string, string>();
  if (!latestAnonymous) {
    input.participants.forEach((p, i) => {
      if (!participantNames.has(p.id))
        participantNames.set(p.id, escapeMarkdownInline(p.name) || `Participant ${i + 1}`);
    });
  }
  let nextNumber = latestAnonymous ? 1 : input.participants.length + 1;
  if (latestAnonymous) {
    for (const id of participantIdsOf(latest)) {
      const n = /^anon-(\d{1,6})$/.exec(id)?.[1];
      if (n !== undefined) nextNumber = Math.max(nextNumber, Number(n) + 1);
    }
  }
  const participantName = (id: string): string => {
    let name = participantNames.get(id);
    if (name === undefined) {
      const n = latestAnonymous ? /^anon-(\d{1,6})$/.exec(id)?.[1] : undefined;
      if (n !== undefined) name = `Participant ${Number(n)}`;
      else {
        // Ids seen only in ballots (people no longer listed, or an unexpected pseudonym) get
        // the next numbers, in order of first appearance, and never a name.
        name = `Participant ${nextNumber}`;
        nextNumber += 1;
      }
      participantNames.set(id, name);
    }
    return name;
  };
  if (latest !== null) for (const id of participantIdsOf(latest)) participantName(id);

  const rank = (map: Map<string, number>, id: string) => map.get(id) ?? Number.MAX_SAFE_INTEGER;
  const chosenId =
    input.finalized && optionNames.has(board.decision.chosenOptionId) ? board.decision.chosenOptionId : null;
  const latestLeader = latest?.consensus.leaderId ?? null;
  const leaderId = latestLeader !== null && optionNames.has(latestLeader) ? latestLeader : null;

  return {
    input,
    board,
    latest,
    optionName: (id) => optionNames.get(id) ?? '(removed option)',
    criterionName: (id) => criterionNames.get(id) ?? '(removed criterion)',
    participantName,
    cellOrder: (a, b) =>
      rank(criterionRank, a.criterionId) - rank(criterionRank, b.criterionId) ||
      rank(optionRank, a.optionId) - rank(optionRank, b.optionId),
    chosenId,
    leaderId,
    referenceId: chosenId ?? leaderId,
  };
}

/** Every participant id in a round, in order of first appearance. */
function participantIdsOf(round: RecordRound): string[] {
  const ids = new Set<string>();
  for (const p of round.consensus.participants) ids.add(p.participantId);
  for (const cell of round.consensus.cells) for (const s of cell.scores) ids.add(s.participantId);
  return [...ids];
}

/** The option's weighted total in this consensus, if it has one. */
export function totalOf(consensus: ConsensusResult, optionId: string): OptionTotal | undefined {
  return consensus.totals.find((t) => t.optionId === optionId);
}

/** Whether any option has a finite weighted total (something was scored). */
export function anyScored(consensus: ConsensusResult): boolean {
  return consensus.totals.some((t) => t.total !== null && Number.isFinite(t.total));
}

/** Totals of the other scored options, best first: `3.40 for "Node.js"`. */
export function otherTotals(ctx: RecordContext, consensus: ConsensusResult, optionId: string): string[] {
  return consensus.totals
    .filter((t) => t.optionId !== optionId && t.total !== null && Number.isFinite(t.total))
    .sort((a, b) => (b.total ?? 0) - (a.total ?? 0))
    .map((t) => `${formatStat(t.total)} for ${quoted(ctx.optionName(t.optionId))}`);
}

/** "2 of 3": participants preferring the option, of all participants in the consensus. */
export function preferenceCount(consensus: ConsensusResult, optionId: string): string {
  const count = consensus.participants.filter((p) => p.preferredOptionId === optionId).length;
  return `${count} of ${consensus.participants.length}`;
}

/** Mean r_wg over the cells that have one, or null. */
export function meanAgreement(consensus: ConsensusResult): number | null {
  return mean(consensus.cells.flatMap((c) => (c.rwg !== null && Number.isFinite(c.rwg) ? [c.rwg] : [])));
}

// ---------------------------------------------------------------------------------------------
// Sources and evidence as text
// ---------------------------------------------------------------------------------------------

/** A cited source by title, linked when its URL is http(s); "an unknown source" for a dangling id. */
export function sourceLabel(ctx: RecordContext, sourceId: string): string {
  const source = ctx.board.sources.find((s) => s.id === sourceId);
  if (source === undefined) return 'an unknown source';
  const href = source.url === undefined ? null : safeHref(source.url);
  if (href === null) return escapeMarkdownInline(source.title) || 'Untitled source';
  return `[${linkLabel(source.title) || 'Untitled source'}](<${href}>)`;
}

/**
 * On a board that hides names an author is "a participant": never a "Participant N" label, which
 * would tie a pseudonym to the author name everyone sees in the document.
 */
function authorLabel(ctx: RecordContext, authorName: string): string {
  if (ctx.input.anonymous) return 'a participant';
  return escapeMarkdownInline(authorName) || 'a participant';
}

/** "claim showdown-3" and, when known, its section: how a reader finds a claim in its article. */
export function claimCitation(id: string | undefined, locator: string | null): string {
  const parts: string[] = [];
  const escapedId = escapeMarkdownInline(id ?? '');
  if (escapedId !== '') parts.push(`claim ${escapedId}`);
  const escapedLocator = escapeMarkdownInline(locator ?? '');
  if (escapedLocator !== '') parts.push(`section “${escapedLocator}”`);
  return parts.join(', ');
}

/** A contested side: its source, its claim, and where to check it. */
export function contestedSideItem(ctx: RecordContext, side: ContestedSide): string {
  const claim = escapeMarkdownInline(typeof side.claim === 'string' ? side.claim : '') || NO_VALUE;
  const citation = claimCitation(
    typeof side.claimId === 'string' ? side.claimId : undefined,
    locatorOf(side),
  );
  return `${sourceLabel(ctx, side.sourceId)}: ${claim}${citation === '' ? '' : ` (${citation})`}`;
}

function attribution(ctx: RecordContext, evidence: EvidenceSnapshot): string {
  const { origin } = evidence;
  switch (origin.type) {
    case 'source': {
      const citation = claimCitation(evidence.id, locatorOf(evidence));
      return `${citation === '' ? '' : `${citation}; `}source: ${sourceLabel(ctx, origin.sourceId)}`;
    }
    case 'participant': {
      const author = `added by ${authorLabel(ctx, origin.authorName)}`;
      if (origin.url === undefined || origin.url.trim() === '') return author;
      const href = safeHref(origin.url);
      if (href === null) return `${author}, address (not a web link): ${escapeMarkdownInline(origin.url)}`;
      return `${author}, [${linkLabel(new URL(href).hostname) || 'link'}](<${href}>)`;
    }
    case 'editorial': {
      const basis = escapeMarkdownInline(typeof origin.basis === 'string' ? origin.basis : '');
      return `rests on: ${basis || 'nothing stated'}`;
    }
    default:
      return 'unknown origin';
  }
}

/**
 * The lead of an editorial check, so that it reads as the board's own note before its text:
 * "editorial check check-1 on claim showdown-3, the board's own note and not a source's claim".
 */
function editorialLead(evidence: EvidenceSnapshot): string {
  const id = escapeMarkdownInline(evidence.id);
  const checked = checkedIds(evidence.origin)
    .map(escapeMarkdownInline)
    .filter((c) => c !== '');
  const on =
    checked.length === 0 ? '' : ` on ${checked.length === 1 ? 'claim' : 'claims'} ${checked.join(', ')}`;
  return `Editorial check${id === '' ? '' : ` ${id}`}${on}, the board's own note and not a source's claim`;
}

/**
 * One evidence bullet, "Criterion: text (attribution)" — for an editorial check
 * "Criterion: Editorial check … on claim …, the board's own note …: text (rests on: …)" — or
 * null when the text is empty.
 */
export function evidenceItem(
  ctx: RecordContext,
  criterionId: string,
  evidence: EvidenceSnapshot,
): string | null {
  const text = escapeMarkdownInline(evidence.text);
  if (text === '') return null;
  const lead = evidence.origin.type === 'editorial' ? `${editorialLead(evidence)}: ` : '';
  return `${ctx.criterionName(criterionId)}: ${lead}${text} (${attribution(ctx, evidence)})`;
}
