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
import type { BoardSettings, ParticipantRow, RoundRow, ScoreRow, SessionChanges } from './storage/types';

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
  /** The same scores by round, then participant, then cell: a round is read without scanning all. */
  private readonly byRound = new Map<string, Map<string, Map<string, ScoreRow>>>();
  /** Bumped on every change to a round's scores; keys the rendered round views. */
  private readonly roundVersions = new Map<string, number>();
  /** Bumped on every change to one participant's scores in one round; keys `mine`. */
  private readonly mineVersions = new Map<string, number>();

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
    for (const s of scores) this.putScore(s);
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

  /**
   * Brings this session up to date with what another process wrote (`sessionChangesSince`):
   * settings, participants and rounds replaced, then the deleted scores removed and the set
   * ones put, in that order (a score deleted and set again since is in both; it stays set).
   */
  catchUp(changes: SessionChanges): void {
    this.settings = changes.settings;
    this.participants = changes.participants;
    this.rounds = changes.rounds;
    for (const key of changes.deleted) this.deleteScore(key);
    for (const score of changes.upserted) this.putScore(score);
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
    let round = this.byRound.get(score.roundId);
    if (!round) {
      round = new Map();
      this.byRound.set(score.roundId, round);
    }
    let own = round.get(score.participantId);
    if (!own) {
      own = new Map();
      round.set(score.participantId, own);
    }
    own.set(cellKey(score.criterionId, score.optionId), score);
    this.bump(score);
  }

  deleteScore(key: Pick<ScoreRow, 'roundId' | 'participantId' | 'criterionId' | 'optionId'>): void {
    this.scores.delete(scoreKey(key));
    const own = this.byRound.get(key.roundId)?.get(key.participantId);
    own?.delete(cellKey(key.criterionId, key.optionId));
    if (own?.size === 0) this.byRound.get(key.roundId)?.delete(key.participantId);
    this.bump(key);
  }

  private bump(key: Pick<ScoreRow, 'roundId' | 'participantId'>): void {
    this.roundVersions.set(key.roundId, (this.roundVersions.get(key.roundId) ?? 0) + 1);
    const mk = `${key.roundId}\u0000${key.participantId}`;
    this.mineVersions.set(mk, (this.mineVersions.get(mk) ?? 0) + 1);
    // Their counts are recounted when next asked for.
    this.countCache.get(key.roundId)?.delete(key.participantId);
  }

  roundScores(roundId: string): ScoreRow[] {
    const out: ScoreRow[] = [];
    for (const own of this.byRound.get(roundId)?.values() ?? []) for (const s of own.values()) out.push(s);
    return out;
  }

  /** Voters: participants not removed and not spectating. */
  voters(): ParticipantRow[] {
    return this.participants.filter((p) => !p.removed && !p.spectator);
  }

  /** Cells of the current shape each participant has scored, abstained on, or kept, in a round. */
  progress(roundId: string, shape: BoardShape): Map<string, number> {
    const { cells, key } = this.cellsOf(shape);
    const counts = new Map<string, number>();
    for (const [participantId, own] of this.byRound.get(roundId) ?? []) {
      const n = this.countsOf(roundId, participantId, own, cells, key).done;
      if (n > 0) counts.set(participantId, n);
    }
    return counts;
  }

  /** The cells of the last shape asked about, and its key: the shape rarely changes. */
  private cellsCache: { key: string; cells: Set<string> } | null = null;
  private cellsOf(shape: BoardShape): { key: string; cells: Set<string> } {
    const key = `${shape.criterionIds.join(',')}|${shape.optionIds.join(',')}`;
    if (this.cellsCache?.key !== key) this.cellsCache = { key, cells: cellsOf(shape) };
    return this.cellsCache;
  }

  /**
   * One participant's counts in a round for a shape: cells done (scored, abstained on or kept;
   * a carried-over score is not done until its owner changes or keeps it, otherwise a new round
   * would start finished and auto-reveal at once) and scores whose cell is gone. Kept until
   * their scores or the shape change, so a ballot recounts one person, not the whole board.
   */
  private readonly countCache = new Map<
    string,
    Map<string, { shapeKey: string; done: number; orphaned: number }>
  >();
  private countsOf(
    roundId: string,
    participantId: string,
    own: Map<string, ScoreRow>,
    cells: Set<string>,
    shapeKey: string,
  ): { done: number; orphaned: number } {
    let round = this.countCache.get(roundId);
    if (!round) {
      round = new Map();
      this.countCache.set(roundId, round);
    }
    const cached = round.get(participantId);
    if (cached?.shapeKey === shapeKey) return cached;
    let done = 0;
    let orphaned = 0;
    for (const [k, score] of own) {
      if (!cells.has(k)) orphaned++;
      else if (!score.carried) done++;
    }
    const counts = { shapeKey, done, orphaned };
    round.set(participantId, counts);
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

  private settingsCache: { key: string; view: BoardSettingsView } | null = null;
  /** The settings as clients see them; the same object while nothing in it changed. */
  settingsView(): BoardSettingsView {
    const view: BoardSettingsView = {
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
    const key = JSON.stringify(view);
    if (this.settingsCache?.key !== key) this.settingsCache = { key, view };
    return this.settingsCache.view;
  }

  private rosterCache: { key: string; view: RosterEntry[] } | null = null;
  /** Who is on the board; the same array while nobody joined, left, renamed or changed role. */
  roster(online: Map<string, 'facilitator' | 'participant'>): RosterEntry[] {
    let key = '';
    for (const p of this.participants) {
      key += `${p.id}\u0000${p.name}\u0000${p.removed ? 1 : 0}${p.spectator ? 1 : 0}${online.get(p.id) ?? '-'}\u0001`;
    }
    if (this.rosterCache?.key === key) return this.rosterCache.view;
    const view = this.participants
      .filter((p) => !p.removed)
      .map(
        (p): RosterEntry => ({
          id: p.id,
          name: p.name,
          role: online.get(p.id) === 'facilitator' ? 'facilitator' : 'participant',
          online: online.has(p.id),
          spectator: p.spectator,
        }),
      );
    this.rosterCache = { key, view };
    return view;
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
   *
   * Everything but `mine` is the same for every client, so it is rendered once per change of
   * the round (its scores, status, the shape, the voters) and shared; `mine` is the viewer's
   * own scores only. Shared parts keep their identity while unchanged, which is what lets the
   * session server send each client only what changed.
   */
  roundViews(
    viewerParticipantId: string | null,
    shape: BoardShape,
    shared: Omit<RoundView, 'mine'>[] = this.sharedRoundViews(shape),
  ): RoundView[] {
    return shared.map((round) => ({
      ...round,
      mine: viewerParticipantId ? this.mineView(round.id, viewerParticipantId) : NO_SCORES,
    }));
  }

  /**
   * The rounds without `mine`: the same for every client. Pass the result to `roundViews` to
   * render many clients from one computation.
   */
  sharedRoundViews(shape: BoardShape): Omit<RoundView, 'mine'>[] {
    const voters = this.voters();
    const votersKey = voters.map((p) => p.id).join(',');
    return this.rounds.map((round) => this.sharedRoundView(round, shape, voters, votersKey));
  }

  private readonly roundCache = new Map<string, { key: string; view: Omit<RoundView, 'mine'> }>();
  /** Per round, each person's progress entry as last sent: an unchanged one keeps its identity. */
  private readonly progressEntries = new Map<string, Map<string, ProgressEntry>>();
  private sharedRoundView(
    round: RoundRow,
    shape: BoardShape,
    voters: ParticipantRow[],
    votersKey: string,
  ): Omit<RoundView, 'mine'> {
    const { cells, key: shapeKey } = this.cellsOf(shape);
    const key = `${this.roundVersions.get(round.id) ?? 0}|${round.revealedAt}|${round.mode}|${round.anonymous}|${shapeKey}|${votersKey}`;
    const cached = this.roundCache.get(round.id);
    if (cached?.key === key) return cached.view;
    const total = cells.size;
    const visible = round.revealedAt !== null || round.mode === 'open';
    // Everyone's scores are read only when they are shown.
    const scores = visible ? this.roundScores(round.id) : [];
    const byParticipant = this.byRound.get(round.id);
    // Scores whose criterion or option is gone (carried ones included: they are not done, but
    // they are not orphaned either).
    let orphaned = 0;
    for (const [participantId, own] of byParticipant ?? []) {
      orphaned += this.countsOf(round.id, participantId, own, cells, shapeKey).orphaned;
    }
    const prevEntries = this.progressEntries.get(round.id);
    const entries = new Map<string, ProgressEntry>();
    let finished = 0;
    // Anonymous rounds say only who is done (never how many cells), and nothing per person
    // once the scores are visible.
    const progress: ProgressEntry[] = [];
    for (const p of voters) {
      const own = byParticipant?.get(p.id);
      const scored = own ? this.countsOf(round.id, p.id, own, cells, shapeKey).done : 0;
      const done = total > 0 && scored >= total;
      if (done) finished++;
      if (round.anonymous && visible) continue;
      const shownScored = round.anonymous ? null : scored;
      const old = prevEntries?.get(p.id);
      const entry =
        old && old.done === done && old.scored === shownScored && old.total === total
          ? old
          : { participantId: p.id, done, scored: shownScored, total };
      entries.set(p.id, entry);
      progress.push(entry);
    }
    this.progressEntries.set(round.id, entries);
    const names =
      visible && round.anonymous
        ? this.pseudonymsOf(
            round.id,
            scores.map((s) => s.participantId),
          )
        : null;
    let shown: ScoreView[] | null = null;
    if (visible) {
      shown = scores.map((s) => ({
        participantId: names ? (names.get(s.participantId) ?? 'anon') : s.participantId,
        criterionId: s.criterionId,
        optionId: s.optionId,
        value: s.value,
        rationale: s.rationale,
      }));
      if (names) shown.sort(byPseudonymThenCell);
    }
    const view: Omit<RoundView, 'mine'> = {
      id: round.id,
      number: round.number,
      mode: round.mode,
      status: round.revealedAt === null ? 'open' : 'revealed',
      anonymous: round.anonymous,
      startedAt: round.startedAt,
      revealedAt: round.revealedAt,
      progress,
      voters: voters.length,
      finished,
      scores: shown,
      orphanedScores: orphaned,
    };
    this.roundCache.set(round.id, { key, view });
    return view;
  }

  private readonly mineCache = new Map<string, { version: number; view: ScoreView[] }>();
  /** One participant's own scores in a round, with their own id (never a pseudonym). */
  private mineView(roundId: string, participantId: string): ScoreView[] {
    const mk = `${roundId}\u0000${participantId}`;
    const version = this.mineVersions.get(mk) ?? 0;
    const cached = this.mineCache.get(mk);
    if (cached?.version === version) return cached.view;
    const view = [...(this.byRound.get(roundId)?.get(participantId)?.values() ?? [])].map(
      (s): ScoreView => ({
        participantId: s.participantId,
        criterionId: s.criterionId,
        optionId: s.optionId,
        value: s.value,
        rationale: s.rationale,
        ...(s.carried ? { carried: true } : {}),
      }),
    );
    this.mineCache.set(mk, { version, view });
    return view;
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

const NO_SCORES: ScoreView[] = [];

function cellsOf(shape: BoardShape): Set<string> {
  const cells = new Set<string>();
  for (const c of shape.criterionIds) for (const o of shape.optionIds) cells.add(cellKey(c, o));
  return cells;
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
