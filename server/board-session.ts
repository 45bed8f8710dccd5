import * as Y from 'yjs';
import type { ZodError } from 'zod';
import { getCriteria, getOptions } from '@/lib/board-schema';
import {
  type BoardSettingsView,
  describeZodError,
  ERROR_CODES,
  type ErrorCode,
  type RosterEntry,
  type RoundView,
  type ScoreView,
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
  private readonly scores = new Map<string, ScoreRow>();

  constructor(
    readonly boardId: string,
    public settings: BoardSettings,
    public participants: ParticipantRow[],
    public rounds: RoundRow[],
    scores: ScoreRow[],
    readonly viewerKey: string,
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

  /** Cells of the current shape each participant has scored in a round. */
  progress(roundId: string, shape: BoardShape): Map<string, number> {
    const cells = new Set<string>();
    for (const c of shape.criterionIds) for (const o of shape.optionIds) cells.add(cellKey(c, o));
    const counts = new Map<string, number>();
    for (const s of this.roundScores(roundId)) {
      if (cells.has(cellKey(s.criterionId, s.optionId))) {
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
      timer: this.timer,
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

  /** Stable pseudonyms for anonymous boards, by order of joining. */
  private pseudonyms(): Map<string, string> {
    return new Map(this.participants.map((p, i) => [p.id, `anon-${i + 1}`]));
  }

  /**
   * The rounds as one client may see them. Other people's scores are included only for
   * a revealed round or an open-mode round — never for an unrevealed blind round.
   */
  roundViews(viewerParticipantId: string | null, shape: BoardShape): RoundView[] {
    const cells = new Set<string>();
    for (const c of shape.criterionIds) for (const o of shape.optionIds) cells.add(cellKey(c, o));
    const total = cells.size;
    const names = this.settings.anonymous ? this.pseudonyms() : null;
    const toView = (s: ScoreRow, own: boolean): ScoreView => ({
      participantId: names && !own ? (names.get(s.participantId) ?? 'anon') : s.participantId,
      criterionId: s.criterionId,
      optionId: s.optionId,
      value: s.value,
      rationale: s.rationale,
    });
    return this.rounds.map((round) => {
      const scores = this.roundScores(round.id);
      const visible = round.revealedAt !== null || round.mode === 'open';
      const progress = this.progress(round.id, shape);
      return {
        id: round.id,
        number: round.number,
        mode: round.mode,
        status: round.revealedAt === null ? 'open' : 'revealed',
        startedAt: round.startedAt,
        revealedAt: round.revealedAt,
        progress: this.voters().map((p) => ({ participantId: p.id, scored: progress.get(p.id) ?? 0, total })),
        mine: viewerParticipantId
          ? scores.filter((s) => s.participantId === viewerParticipantId).map((s) => toView(s, true))
          : [],
        scores: visible ? scores.map((s) => toView(s, false)) : null,
        orphanedScores: scores.filter((s) => !cells.has(cellKey(s.criterionId, s.optionId))).length,
      };
    });
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
