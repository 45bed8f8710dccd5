import { createHmac } from 'node:crypto';
import * as Y from 'yjs';
import type { ZodError } from 'zod';
import { getCriteria, getOptions } from '@/lib/board-schema';
import {
  type BoardSettingsView,
  describeZodError,
  ERROR_CODES,
  type ErrorCode,
  type ProgressEntry,
  type RosterEntry,
  type RoundView,
  type ScoreView,
  type SummonTarget,
} from '@/lib/protocol';
import type { BoardSettings, ParticipantRow, RoundRow, ScoreRow } from './storage/types';

/** A refused command: becomes `{ ok: false, error }` in the acknowledgement. */
export class CommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The cells a round is scored on: the board's current criteria × options. */
export interface BoardShape {
  criterionIds: string[];
  optionIds: string[];
}

/**
 * The cells of a live document, reading only the ids: it runs after every commit (saved
 * notices) and every ballot, where a full `readBoard` would copy every evidence claim.
 */
export function shapeOfDoc(doc: Y.Doc): BoardShape {
  const ids = (arr: Y.Array<Y.Map<unknown>>) =>
    arr
      .toArray()
      .flatMap((m) => (m instanceof Y.Map && typeof m.get('id') === 'string' ? [m.get('id') as string] : []));
  return { criterionIds: ids(getCriteria(doc)), optionIds: ids(getOptions(doc)) };
}

/**
 * The pseudonyms of an anonymous round: its scorers ranked by HMAC-SHA256(installation secret,
 * board, round, participant) and numbered `anon-1`, `anon-2`, … in that order. Without the
 * secret, which never leaves the server, the numbering is a random permutation: it follows
 * neither the roster nor the joining order, and it is drawn again for every round. The same
 * function labels the decision record, so board and record agree.
 */
export function roundPseudonyms(
  secret: Uint8Array,
  boardId: string,
  roundId: string,
  participantIds: Iterable<string>,
): Map<string, string> {
  const ranked = [...new Set(participantIds)]
    .map((id) => ({
      id,
      rank: createHmac('sha256', secret)
        .update(`pseudonym\u0000${boardId}\u0000${roundId}\u0000${id}`)
        .digest('hex'),
    }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return new Map(ranked.map((r, i) => [r.id, `anon-${i + 1}`]));
}

/** N of a pseudonym `anon-N`; anything else sorts last. */
export function pseudonymNumber(id: string): number {
  return Number(/^anon-(\d{1,6})$/.exec(id)?.[1] ?? Number.MAX_SAFE_INTEGER);
}

/** Orders the scores of an anonymous round by pseudonym, then cell: nothing about when they came in. */
export function byPseudonymThenCell(
  a: Pick<ScoreView, 'participantId' | 'criterionId' | 'optionId'>,
  b: Pick<ScoreView, 'participantId' | 'criterionId' | 'optionId'>,
): number {
  return (
    pseudonymNumber(a.participantId) - pseudonymNumber(b.participantId) ||
    (a.criterionId < b.criterionId ? -1 : a.criterionId > b.criterionId ? 1 : 0) ||
    (a.optionId < b.optionId ? -1 : a.optionId > b.optionId ? 1 : 0)
  );
}

const cellKey = (criterionId: string, optionId: string) => `${criterionId}\u0000${optionId}`;
const scoreKey = (s: Pick<ScoreRow, 'roundId' | 'participantId' | 'criterionId' | 'optionId'>) =>
  `${s.roundId}\u0000${s.participantId}\u0000${cellKey(s.criterionId, s.optionId)}`;

/**
 * The session state of one board, held in memory while the board is in use and written
 * through to storage by the caller before it changes here. Also the projection of that
 * state for one client: the only place that decides what a client may see.
 */
export class BoardSession {
  timer: { endsAt: string; seconds: number } | null = null;
  /** The facilitator's latest `board:summon`; in memory only, like the timer. */
  summon: { target: SummonTarget; seq: number } | null = null;
  private readonly scores = new Map<string, ScoreRow>();

  constructor(
    readonly boardId: string,
    public settings: BoardSettings,
    public participants: ParticipantRow[],
    public rounds: RoundRow[],
    scores: ScoreRow[],
    readonly viewerKey: string,
    /** The installation secret pseudonyms are drawn with (`BoardStore.serverSecret`). */
    readonly pseudonymSecret: Uint8Array,
  ) {
    for (const s of scores) this.scores.set(scoreKey(s), s);
  }

  get currentRound(): RoundRow | null {
    return this.rounds.at(-1) ?? null;
  }

  get openRound(): RoundRow | null {
    const r = this.currentRound;
    return r && r.revealedAt === null ? r : null;
  }

  get hasAnyScore(): boolean {
    return this.scores.size > 0;
  }

  /** Seats taken: participants not removed (removing someone frees their seat). */
  get seatsTaken(): number {
    let n = 0;
    for (const p of this.participants) if (!p.removed) n++;
    return n;
  }

  /** Every score of every round (for the decision record). */
  allScores(): ScoreRow[] {
    return [...this.scores.values()];
  }

  participant(id: string): ParticipantRow | undefined {
    return this.participants.find((p) => p.id === id);
  }

  putScore(score: ScoreRow): void {
    this.scores.set(scoreKey(score), score);
  }

  deleteScore(key: Pick<ScoreRow, 'roundId' | 'participantId' | 'criterionId' | 'optionId'>): void {
    this.scores.delete(scoreKey(key));
  }

  roundScores(roundId: string): ScoreRow[] {
    return [...this.scores.values()].filter((s) => s.roundId === roundId);
  }

  /** Voters: participants not removed and not spectating. */
  voters(): ParticipantRow[] {
    return this.participants.filter((p) => !p.removed && !p.spectator);
  }

  /** Cells of the current shape each participant has scored, abstained on, or kept, in a round. */
  progress(roundId: string, shape: BoardShape): Map<string, number> {
    const cells = new Set<string>();
    for (const c of shape.criterionIds) for (const o of shape.optionIds) cells.add(cellKey(c, o));
    const counts = new Map<string, number>();
    for (const s of this.roundScores(roundId)) {
      // A carried-over score is not done until its owner changes or keeps it: otherwise a new
      // round would start finished (and auto-reveal at once) before anyone reconsidered.
      if (!s.carried && cells.has(cellKey(s.criterionId, s.optionId))) {
        counts.set(s.participantId, (counts.get(s.participantId) ?? 0) + 1);
      }
    }
    return counts;
  }

  /**
   * Whether an automatic reveal is due: auto-reveal is on, the current round is open,
   * and every voter who is online has scored every cell. Offline people and spectators
   * do not hold it up; with nobody online voting, nothing is revealed.
   */
  autoRevealDue(onlineIds: Set<string>, shape: BoardShape): boolean {
    const round = this.openRound;
    if (!this.settings.autoReveal || !round) return false;
    const total = shape.criterionIds.length * shape.optionIds.length;
    if (total === 0) return false;
    const present = this.voters().filter((p) => onlineIds.has(p.id));
    if (present.length === 0) return false;
    const progress = this.progress(round.id, shape);
    return present.every((p) => (progress.get(p.id) ?? 0) >= total);
  }

  settingsView(): BoardSettingsView {
    return {
      scale: { min: this.settings.scaleMin, max: this.settings.scaleMax },
      autoReveal: this.settings.autoReveal,
      anonymous: this.settings.anonymous,
      status: this.settings.status,
      finalizedAt: this.settings.finalizedAt,
      joinClosed: this.settings.joinClosed,
      structureEditors: this.settings.structureEditors,
      timer: this.timer,
      summon: this.summon,
    };
  }

  roster(online: Map<string, 'facilitator' | 'participant'>): RosterEntry[] {
    return this.participants
      .filter((p) => !p.removed)
      .map((p) => ({
        id: p.id,
        name: p.name,
        role: online.get(p.id) === 'facilitator' ? 'facilitator' : 'participant',
        online: online.has(p.id),
        spectator: p.spectator,
      }));
  }

  /**
   * The rounds as one client may see them. Other people's scores are included only for
   * a revealed round or an open-mode round — never for an unrevealed blind round.
   *
   * Anonymous rounds (the round's own flag, fixed when it started) must not let anything a
   * client receives tie a pseudonym to a person: scores carry pseudonyms and come sorted by
   * pseudonym and cell (not in the order they were cast); per-person progress says only who
   * is done, never how many cells (a count could be matched to a pseudonym's number of scores),
   * and is left out entirely once scores are visible (revealed, or an open-mode round shown
   * live), where a "done" that flips as a pseudonym's last score appears would tie them.
   */
  roundViews(viewerParticipantId: string | null, shape: BoardShape): RoundView[] {
    const cells = new Set<string>();
    for (const c of shape.criterionIds) for (const o of shape.optionIds) cells.add(cellKey(c, o));
    const total = cells.size;
    const voters = this.voters();
    return this.rounds.map((round) => {
      const scores = this.roundScores(round.id);
      const visible = round.revealedAt !== null || round.mode === 'open';
      const counts = this.progress(round.id, shape);
      const progress: ProgressEntry[] = voters.map((p) => {
        const scored = counts.get(p.id) ?? 0;
        return { participantId: p.id, done: total > 0 && scored >= total, scored, total };
      });
      const finished = progress.filter((p) => p.done).length;
      const names = round.anonymous
        ? this.pseudonymsOf(
            round.id,
            scores.map((s) => s.participantId),
          )
        : null;
      const toView = (s: ScoreRow, own: boolean): ScoreView => ({
        participantId: names && !own ? (names.get(s.participantId) ?? 'anon') : s.participantId,
        criterionId: s.criterionId,
        optionId: s.optionId,
        value: s.value,
        rationale: s.rationale,
        ...(own && s.carried ? { carried: true } : {}),
      });
      let shown: ScoreView[] | null = null;
      if (visible) {
        shown = scores.map((s) => toView(s, false));
        if (names) shown.sort(byPseudonymThenCell);
      }
      return {
        id: round.id,
        number: round.number,
        mode: round.mode,
        status: round.revealedAt === null ? 'open' : 'revealed',
        anonymous: round.anonymous,
        startedAt: round.startedAt,
        revealedAt: round.revealedAt,
        progress: !round.anonymous ? progress : visible ? [] : progress.map((p) => ({ ...p, scored: null })),
        voters: voters.length,
        finished,
        mine: viewerParticipantId
          ? scores.filter((s) => s.participantId === viewerParticipantId).map((s) => toView(s, true))
          : [],
        scores: shown,
        orphanedScores: scores.filter((s) => !cells.has(cellKey(s.criterionId, s.optionId))).length,
      };
    });
  }

  /** Pseudonyms per round, recomputed only when the round's set of scorers changes. */
  private readonly pseudonymCache = new Map<string, { scorers: string; names: Map<string, string> }>();
  private pseudonymsOf(roundId: string, participantIds: string[]): Map<string, string> {
    const scorers = [...new Set(participantIds)].sort().join(',');
    const cached = this.pseudonymCache.get(roundId);
    if (cached?.scorers === scorers) return cached.names;
    const names = roundPseudonyms(this.pseudonymSecret, this.boardId, roundId, participantIds);
    this.pseudonymCache.set(roundId, { scorers, names });
    return names;
  }
}

/** Parses a payload or throws a typed bad_request error naming the problem. */
export function parse<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError };
  },
  payload: unknown,
): T {
  const r = schema.safeParse(payload ?? {});
  if (!r.success) throw new CommandError(ERROR_CODES.BAD_REQUEST, describeZodError(r.error));
  return r.data;
}

/** Throws the typed error unless `condition` holds. */
export function ensure(condition: unknown, code: ErrorCode, message: string): asserts condition {
  if (!condition) throw new CommandError(code, message);
}

export { ERROR_CODES };
