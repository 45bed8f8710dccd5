import { addEvidence, getDecision, readBoard } from '@/lib/board-schema';
import type { BoardSnapshot } from '@/lib/board-types';
import { computeConsensus } from '@/lib/consensus';
import {
  ballotPayloadSchema,
  ERROR_CODES,
  evidencePayloadSchema,
  participantRemovePayloadSchema,
  renamePayloadSchema,
  roundRevealPayloadSchema,
  roundStartPayloadSchema,
  setScalePayloadSchema,
  spectatePayloadSchema,
  timerStartPayloadSchema,
  togglePayloadSchema,
} from '@/lib/protocol';
import { roundConsensusInput } from '@/lib/round-consensus';
import { type BoardSession, type BoardShape, ensure, parse } from './board-session';
import { newSecret } from './secrets';
import type { BoardSettings, BoardStore, ParticipantRow } from './storage/types';
import type { YjsServer } from './yjs-server';

export interface CommandContext {
  session: BoardSession;
  boardId: string;
  /** The participant sending the command (never a viewer; checked by the caller). */
  me: ParticipantRow;
}

export interface CommandDeps {
  store: BoardStore;
  yjs: YjsServer;
  now: () => Date;
  /** The board's cells: its current criteria × options. */
  shape(boardId: string): Promise<BoardShape>;
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

  async rename({ session, boardId, me }: CommandContext, payload: unknown): Promise<void> {
    const { name } = parse(renamePayloadSchema, payload);
    await this.deps.store.renameParticipant(boardId, me.id, name);
    me.name = name;
    void session;
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
    const shape = await this.deps.shape(boardId);
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
    const { scaleMin, scaleMax } = session.settings;
    ensure(
      b.value >= scaleMin && b.value <= scaleMax,
      ERROR_CODES.OUT_OF_SCALE,
      `scores are from ${scaleMin} to ${scaleMax}`,
    );
    const row = {
      ...key,
      value: b.value,
      rationale: b.rationale ?? '',
      updatedAt: this.deps.now().toISOString(),
    };
    await this.deps.store.upsertScore(row);
    session.putScore(row);
  }

  async addEvidence({ boardId, me, session }: CommandContext, payload: unknown): Promise<void> {
    const e = parse(evidencePayloadSchema, payload);
    ensure(session.settings.status === 'open', ERROR_CODES.BOARD_LOCKED, 'the board is locked');
    const added = await this.deps.yjs.withDoc(boardId, (room) => {
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
    });
    ensure(added === null, ERROR_CODES.UNKNOWN_CELL, added ?? '');
  }

  async startRound({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const { mode } = parse(roundStartPayloadSchema, payload);
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
      anonymous: session.settings.anonymous,
    };
    await this.deps.store.createRound(round);
    session.rounds.push(round);
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
  }

  async setScale({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const scale = parse(setScalePayloadSchema, payload);
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

  async setStatus({ session, boardId }: CommandContext, status: BoardSettings['status']): Promise<void> {
    const finalizedAt = status === 'finalized' ? this.deps.now().toISOString() : null;
    if (status === 'finalized') {
      ensure(!session.openRound, ERROR_CODES.ROUND_IN_PROGRESS, 'reveal the current round before finalizing');
    }
    await this.updateSettings(session, boardId, { status, finalizedAt });
    this.deps.setWritable(boardId, status === 'open');
    await this.deps.yjs.withDoc(boardId, (room) => {
      const board = readBoard(room.doc);
      // Finalizing without a chosen option chooses the matrix leader (the default).
      const leaderId =
        status === 'finalized' && !board.decision.chosenOptionId ? this.leaderOf(session, board) : null;
      room.applyServerChange((doc) => {
        // Mirror the status into the document so every Yjs reader sees it.
        doc.getMap('meta').set('status', status);
        if (leaderId) getDecision(doc).set('chosenOptionId', leaderId);
      });
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

  async startTimer({ session, boardId }: CommandContext, payload: unknown): Promise<void> {
    const { seconds } = parse(timerStartPayloadSchema, payload);
    const endsAt = new Date(this.deps.now().getTime() + seconds * 1000).toISOString();
    session.timer = { endsAt, seconds };
    void boardId;
  }

  async stopTimer({ session }: CommandContext): Promise<void> {
    session.timer = null;
  }

  async updateSettings(session: BoardSession, boardId: string, patch: Partial<BoardSettings>): Promise<void> {
    await this.deps.store.updateSettings(boardId, patch);
    session.settings = { ...session.settings, ...patch };
  }
}
