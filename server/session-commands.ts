import * as Y from 'yjs';
import { readRemovedCriteria, recordChanges } from '@/lib/board-history';
import { addEvidence, getCriteria, getDecision, insertCriterion, readBoard } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { computeConsensus } from '@/lib/consensus';
import { LIMITS } from '@/lib/limits';
import {
  ABSTAIN,
  ballotKeepPayloadSchema,
  ballotPayloadSchema,
  criterionRestorePayloadSchema,
  ERROR_CODES,
  evidencePayloadSchema,
  participantRemovePayloadSchema,
  renamePayloadSchema,
  roundRevealPayloadSchema,
  roundStartPayloadSchema,
  setJoiningPayloadSchema,
  setScalePayloadSchema,
  setStructureEditorsPayloadSchema,
  spectatePayloadSchema,
  summonPayloadSchema,
  timerStartPayloadSchema,
  togglePayloadSchema,
} from '@/lib/protocol';
import { roundConsensusInput } from '@/lib/round-consensus';
import { type BoardSession, type BoardShape, ensure, parse } from './board-session';
import { renderRecordFile } from './decision-export';
import { newSecret } from './secrets';
import type { BoardSettings, BoardStore, ParticipantRow } from './storage/types';
import type { YjsServer } from './yjs-server';

export interface CommandContext {
  session: BoardSession;
  boardId: string;
  /** The participant sending the command (never a viewer; checked by the caller). */
  me: ParticipantRow;
  /** Where the board is served (for the viewer link in a record frozen by this command). */
  baseUrl: string | null;
}

export interface CommandDeps {
  store: BoardStore;
  yjs: YjsServer;
  now: () => Date;
  /**
   * The board's cells: its current criteria × options. `current`: first read from the store
   * what other processes committed (called in the board's lock, so nothing is missed).
   */
  shape(boardId: string, options?: { current?: boolean }): Promise<BoardShape>;
  /** Tells the document endpoint whether the board accepts edits. */
  setWritable(boardId: string, writable: boolean): void;
  /** Tells a removed participant's sockets and disconnects them. */
  disconnectParticipant(boardId: string, participantId: string): Promise<void>;
}

/**
 * The session commands after join: each validates its payload, checks the rules, and
 * writes to storage before it changes the in-memory session. Role checks (participant,
 * facilitator) and the per-board queue are the caller's (session-server.ts).
 */
export class SessionCommands {
  constructor(private readonly deps: CommandDeps) {}

  async rename({ boardId, me }: CommandContext, payload: unknown): Promise<void> {
    const { name } = parse(renamePayloadSchema, payload);
    await this.deps.store.renameParticipant(boardId, me.id, name);
    me.name = name;
  }

  async spectate({ boardId, me }: CommandContext, payload: unknown): Promise<void> {
    const { spectator } = parse(spectatePayloadSchema, payload);
    await this.deps.store.setSpectator(boardId, me.id, spectator);
    me.spectator = spectator;
  }

  async castBallot({ session, boardId, me }: CommandContext, payload: unknown): Promise<void> {
    const b = parse(ballotPayloadSchema, payload);
    ensure(
      b.participantId === undefined || b.participantId === me.id,
      ERROR_CODES.FORBIDDEN,
      'you can cast only your own ballot',
    );
    ensure(
      session.settings.status === 'open',
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked; no more ballots',
    );
    ensure(!me.spectator, ERROR_CODES.SPECTATOR, 'spectators do not vote; stop spectating to score');
    const round = session.rounds.find((r) => r.id === b.roundId);
    ensure(round, ERROR_CODES.NO_OPEN_ROUND, 'no such round');
    ensure(round.revealedAt === null, ERROR_CODES.ROUND_CLOSED, 'this round was revealed; scores are final');
    let shape = await this.deps.shape(boardId);
    // A cell this copy does not know may be another process's commit the stream has not
    // brought (yet, or at all while Redis is away): read the store before refusing.
    if (!shape.criterionIds.includes(b.criterionId) || !shape.optionIds.includes(b.optionId)) {
      shape = await this.deps.shape(boardId, { current: true });
    }
    ensure(
      shape.criterionIds.includes(b.criterionId),
      ERROR_CODES.UNKNOWN_CELL,
      'no such criterion on this board',
    );
    ensure(shape.optionIds.includes(b.optionId), ERROR_CODES.UNKNOWN_CELL, 'no such option on this board');
    const key = {
      boardId,
      roundId: round.id,
      participantId: me.id,
      criterionId: b.criterionId,
      optionId: b.optionId,
    };
    if (b.value === null) {
      await this.deps.store.deleteScore(key);
      session.deleteScore(key);
      return;
    }
    const value = b.value === ABSTAIN ? null : b.value;
    const { scaleMin, scaleMax } = session.settings;
    ensure(
      value === null || (value >= scaleMin && value <= scaleMax),
      ERROR_CODES.OUT_OF_SCALE,
      `scores are from ${scaleMin} to ${scaleMax}`,
    );
    const row = {
      ...key,
      value,
      rationale: b.rationale ?? '',
      updatedAt: this.deps.now().toISOString(),
      carried: false,
    };
    await this.deps.store.upsertScore(row);
    session.putScore(row);
  }

  /** `ballot:keep`: the caller keeps every score carried into the round as it is. */
  async keepCarried({ session, me }: CommandContext, payload: unknown): Promise<void> {
    const { roundId } = parse(ballotKeepPayloadSchema, payload);
    ensure(
      session.settings.status === 'open',
      ERROR_CODES.BOARD_LOCKED,
      'the board is locked; no more ballots',
    );
    ensure(!me.spectator, ERROR_CODES.SPECTATOR, 'spectators do not vote; stop spectating to score');
    const round = session.rounds.find((r) => r.id === roundId);
    ensure(round, ERROR_CODES.NO_OPEN_ROUND, 'no such round');
    ensure(round.revealedAt === null, ERROR_CODES.ROUND_CLOSED, 'this round was revealed; scores are final');
    const at = this.deps.now().toISOString();
    const kept = session
      .roundScores(round.id)
      .filter((s) => s.participantId === me.id && s.carried)
      .map((s) => ({ ...s, carried: false, updatedAt: at }));
    if (kept.length === 0) return;
    await this.deps.store.upsertScores(kept);
    for (const s of kept) session.putScore(s);
  }

  async addEvidence({ boardId, me, session }: CommandContext, payload: unknown): Promise<void> {
    const e = parse(evidencePayloadSchema, payload);
    ensure(session.settings.status === 'open', ERROR_CODES.BOARD_LOCKED, 'the board is locked');
    const added = await this.deps.yjs.withDoc(
      boardId,
      (room) => {
        // Counted on the raw arrays: entries a reader would skip still take room.
        if (evidenceCount(room.doc) >= LIMITS.MAX_EVIDENCE_PER_BOARD) return 'full';
        const board = readBoard(room.doc);
        if (!board.criteria.some((c) => c.id === e.criterionId)) return 'no such criterion';
        if (e.optionId !== null && !board.options.some((o) => o.id === e.optionId)) return 'no such option';
        let done = false;
        room.applyServerChange((doc) => {
          done = addEvidence(
            doc,
            e.criterionId,
            {
              id: newSecret(),
              optionId: e.optionId,
              text: e.text,
              origin: { type: 'participant', authorName: me.name, ...(e.url ? { url: e.url } : {}) },
            },
            room.sealer,
          );
        });
        return done ? null : 'no such criterion';
      },
      // Every other process's evidence in the count (the command holds the board's lock).
      { current: true },
    );
    ensure(
      added !== 'full',
      ERROR_CODES.LIMIT_REACHED,
      `a board holds at most ${LIMITS.MAX_EVIDENCE_PER_BOARD} evidence items`,
    );
    ensure(added === null, ERROR_CODES.UNKNOWN_CELL, added ?? '');
  }

  /**
   * `criterion:restore`: puts a removed criterion back with its id, name, weight, description,
   * evidence and contested point, so the scores kept for it count again. Structure is frozen
   * while a round is open (R7), so not then.
   */
  async restoreCriterion({ session, boardId, me }: CommandContext, payload: unknown): Promise<void> {
    const { criterionId } = parse(criterionRestorePayloadSchema, payload);
    ensure(session.settings.status === 'open', ERROR_CODES.BOARD_LOCKED, 'the board is locked');
    ensure(
      !session.openRound,
      ERROR_CODES.ROUND_IN_PROGRESS,
      'criteria cannot change while a round is open: reveal it first',
    );
    const outcome = await this.deps.yjs.withDoc(
      boardId,
      (room) => {
        const entry = readRemovedCriteria(room.doc).find((r) => r.criterion.id === criterionId);
        if (!entry) return 'gone';
        if (getCriteria(room.doc).length >= LIMITS.MAX_CRITERIA) return 'full';
        room.applyServerChange((doc) => {
          insertCriterion(doc, entry.criterion, entry.index);
          recordChanges(
            doc,
            [{ kind: 'criterion-restored', targetId: criterionId, name: entry.criterion.name }],
            { by: me.id, who: me.name, at: this.deps.now() },
            new Map(),
          );
        });
        return null;
      },
      { current: true },
    );
    ensure(
      outcome !== 'full',
      ERROR_CODES.LIMIT_REACHED,
      `a board holds at most ${LIMITS.MAX_CRITERIA} criteria`,
    );
    ensure(outcome === null, ERROR_CODES.NOT_FOUND, 'no removed criterion with that id to restore');
  }

  async startRound({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const { mode, anonymous, carryOver } = parse(roundStartPayloadSchema, payload);
    ensure(session.settings.status === 'open', ERROR_CODES.BOARD_LOCKED, 'the board is locked');
    ensure(
      !session.openRound,
      ERROR_CODES.ROUND_IN_PROGRESS,
      'reveal the current round before starting another',
    );
    const round = {
      id: newSecret(),
      boardId,
      number: (session.currentRound?.number ?? 0) + 1,
      mode,
      startedAt: this.deps.now().toISOString(),
      revealedAt: null,
      // Fixed for good: no later setting unmasks (or masks) this round.
      anonymous: anonymous ?? session.settings.anonymous,
    };
    const previous = session.currentRound;
    await this.deps.store.createRound(round);
    session.rounds.push(round);
    if (carryOver === false || !previous) return;
    // Every voter starts from their own last word — scores, abstentions and rationales — on
    // the cells still on the board. Carried on the server so every device of theirs shows it.
    // On the cells as every process committed them (the round freezes them, R7).
    const shape = await this.deps.shape(boardId, { current: true });
    const criteria = new Set(shape.criterionIds);
    const options = new Set(shape.optionIds);
    const voters = new Set(session.voters().map((p) => p.id));
    const carried = session
      .roundScores(previous.id)
      .filter((s) => voters.has(s.participantId) && criteria.has(s.criterionId) && options.has(s.optionId))
      .map((s) => ({ ...s, roundId: round.id, carried: true, updatedAt: round.startedAt }));
    if (carried.length === 0) return;
    await this.deps.store.upsertScores(carried);
    for (const s of carried) session.putScore(s);
  }

  async revealRound({ session }: CommandContext, payload: unknown): Promise<void> {
    const { roundId } = parse(roundRevealPayloadSchema, payload);
    const round = session.rounds.find((r) => r.id === roundId);
    ensure(round, ERROR_CODES.NO_OPEN_ROUND, 'no such round');
    ensure(round.revealedAt === null, ERROR_CODES.ROUND_CLOSED, 'this round is already revealed');
    await this.reveal(session, round.id);
  }

  async reveal(session: BoardSession, roundId: string): Promise<void> {
    const round = session.rounds.find((r) => r.id === roundId);
    if (!round || round.revealedAt !== null) return;
    const at = this.deps.now().toISOString();
    await this.deps.store.revealRound(session.boardId, roundId, at);
    round.revealedAt = at;
    // The countdown was for scoring: it stops at the reveal instead of running on into the talk.
    session.timer = null;
  }

  async setScale({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const scale = parse(setScalePayloadSchema, payload);
    ensure(session.settings.status !== 'finalized', ERROR_CODES.BOARD_LOCKED, 'the board is finalized');
    ensure(
      !session.hasAnyScore,
      ERROR_CODES.SCALE_LOCKED,
      'the scale can change only before the first ballot',
    );
    await this.updateSettings(session, boardId, { scaleMin: scale.min, scaleMax: scale.max });
  }

  async setToggle(
    { session, boardId }: CommandContext,
    payload: unknown,
    key: 'autoReveal' | 'anonymous',
  ): Promise<void> {
    const { enabled } = parse(togglePayloadSchema, payload);
    await this.updateSettings(session, boardId, { [key]: enabled });
  }

  async setJoining({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const { open } = parse(setJoiningPayloadSchema, payload);
    await this.updateSettings(session, boardId, { joinClosed: !open });
  }

  async setStructureEditors({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const { editors } = parse(setStructureEditorsPayloadSchema, payload);
    await this.updateSettings(session, boardId, { structureEditors: editors });
  }

  async lock({ session, boardId }: CommandContext): Promise<void> {
    ensure(
      session.settings.status !== 'finalized',
      ERROR_CODES.BOARD_LOCKED,
      'the board is finalized; reopen it first',
    );
    await this.updateSettings(session, boardId, { status: 'locked', finalizedAt: null });
    this.deps.setWritable(boardId, false);
    await this.mirrorStatus(boardId, 'locked');
  }

  /** Reopens a locked or finalized board; a finalized board's frozen record is dropped. */
  async unlock({ session, boardId }: CommandContext): Promise<void> {
    const wasFinalized = session.settings.status === 'finalized';
    await this.updateSettings(session, boardId, { status: 'open', finalizedAt: null });
    this.deps.setWritable(boardId, true);
    // After the status: a stale record is harmless (only a finalized board serves its record,
    // and finalizing again replaces it); a finalized board without its record would not be.
    if (wasFinalized) await this.deps.store.putRecord(boardId, null);
    await this.mirrorStatus(boardId, 'open');
  }

  /**
   * Finalizes: stops document edits, writes the status (and, with no option chosen, the matrix
   * leader) into the document, renders the decision record from that document and the session,
   * stores it, and only then commits the status. The record served for a finalized board is
   * that file, whatever changes later. Any failure puts everything back and changes nothing.
   */
  async finalize({ session, boardId, baseUrl }: CommandContext): Promise<void> {
    ensure(
      session.settings.status !== 'finalized',
      ERROR_CODES.BOARD_LOCKED,
      'the board is already finalized',
    );
    ensure(!session.openRound, ERROR_CODES.ROUND_IN_PROGRESS, 'reveal the current round before finalizing');
    const previous = session.settings.status;
    const finalizedAt = this.deps.now().toISOString();
    // From here no document edit can slip in between the snapshot and the status.
    this.deps.setWritable(boardId, false);
    let mirrored = false;
    let stored = false;
    try {
      const snapshot = await this.deps.yjs.withDoc(
        boardId,
        (room) => {
          const board = readBoard(room.doc);
          // Finalizing without a chosen option chooses the matrix leader (the default).
          const leaderId = board.decision.chosenOptionId ? null : this.leaderOf(session, board);
          room.applyServerChange((doc) => {
            doc.getMap('meta').set('status', 'finalized');
            if (leaderId) getDecision(doc).set('chosenOptionId', leaderId);
          });
          return readBoard(room.doc);
        },
        // Frozen from every process's commits, not only those the stream has brought here.
        { current: true },
      );
      mirrored = true;
      const record = renderRecordFile(
        {
          boardId,
          viewerKey: session.viewerKey,
          snapshot,
          settings: { ...session.settings, status: 'finalized', finalizedAt },
          participants: session.participants.map((p) => ({ id: p.id, name: p.name })),
          rounds: session.rounds,
          scores: session.allScores(),
          pseudonymSecret: session.pseudonymSecret,
        },
        { baseUrl, now: this.deps.now() },
      );
      await this.deps.store.putRecord(boardId, { ...record, createdAt: finalizedAt });
      stored = true;
      await this.updateSettings(session, boardId, { status: 'finalized', finalizedAt });
    } catch (err) {
      this.deps.setWritable(boardId, previous === 'open');
      if (stored) await this.deps.store.putRecord(boardId, null).catch(() => {});
      if (mirrored) await this.mirrorStatus(boardId, previous).catch(() => {});
      throw err;
    }
  }

  /** Mirrors the status into the document so every Yjs reader sees it. */
  private async mirrorStatus(boardId: string, status: BoardSettings['status']): Promise<void> {
    await this.deps.yjs.withDoc(boardId, (room) => {
      room.applyServerChange((doc) => doc.getMap('meta').set('status', status));
    });
  }

  /** The leader of the latest revealed round, or null. */
  private leaderOf(session: BoardSession, board: BoardSnapshot): string | null {
    const round = session.rounds.filter((r) => r.revealedAt !== null).at(-1);
    if (!round) return null;
    const scores = session.roundScores(round.id);
    const scorers = session.participants.filter((p) => scores.some((s) => s.participantId === p.id));
    const scale = { min: session.settings.scaleMin, max: session.settings.scaleMax };
    return computeConsensus(roundConsensusInput(board, scores, scorers, scale)).leaderId;
  }

  async removeParticipant({ session, boardId, me }: CommandContext, payload: unknown): Promise<void> {
    const { participantId } = parse(participantRemovePayloadSchema, payload);
    const target = session.participant(participantId);
    ensure(target && !target.removed, ERROR_CODES.NOT_FOUND, 'no such participant');
    ensure(target.id !== me.id, ERROR_CODES.BAD_REQUEST, 'you cannot remove yourself');
    await this.deps.store.removeParticipant(boardId, participantId);
    target.removed = true;
    await this.deps.disconnectParticipant(boardId, participantId);
  }

  async startTimer({ session }: CommandContext, payload: unknown): Promise<void> {
    const { seconds } = parse(timerStartPayloadSchema, payload);
    const endsAt = new Date(this.deps.now().getTime() + seconds * 1000).toISOString();
    session.timer = { endsAt, seconds };
  }

  async stopTimer({ session }: CommandContext): Promise<void> {
    session.timer = null;
  }

  /** `board:summon`: brings every page that follows the facilitator to one place. */
  async summon({ session }: CommandContext, payload: unknown): Promise<void> {
    const { target } = parse(summonPayloadSchema, payload);
    session.summon = { target, seq: (session.summon?.seq ?? 0) + 1 };
  }

  async updateSettings(session: BoardSession, boardId: string, patch: Partial<BoardSettings>): Promise<void> {
    await this.deps.store.updateSettings(boardId, patch);
    session.settings = { ...session.settings, ...patch };
  }
}

/** Evidence entries on the board, every criterion's raw array counted. */
function evidenceCount(doc: Y.Doc): number {
  let n = 0;
  for (const criterion of getCriteria(doc).toArray()) {
    const evidence = criterion instanceof Y.Map ? criterion.get('evidence') : undefined;
    if (evidence instanceof Y.Array) n += evidence.length;
  }
  return n;
}
