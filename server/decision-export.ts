import type { BoardSnapshot } from '@/lib/board-types';
import { computeConsensus } from '@/lib/consensus';
import {
  type DecisionRecordInput,
  decisionRecordFileName,
  type RecordRound,
  renderDecisionRecord,
} from '@/lib/decision-record';
import { roundConsensusInput } from '@/lib/round-consensus';
import { byPseudonymThenCell, pseudonymNumber, roundPseudonyms } from './board-session';
import type { BoardSettings, BoardStore, RoundRow, ScoreRow } from './storage/types';

export interface DecisionRecordFile {
  markdown: string;
  fileName: string;
}

/** Everything a decision record is rendered from. */
export interface RecordSource {
  boardId: string;
  viewerKey: string;
  snapshot: BoardSnapshot;
  settings: BoardSettings;
  participants: { id: string; name: string }[];
  rounds: RoundRow[];
  scores: ScoreRow[];
  /** The installation secret the board's pseudonyms are drawn with. */
  pseudonymSecret: Uint8Array;
}

/**
 * Renders the decision record of a board as it is now. Anonymous rounds are labelled with the
 * same pseudonyms the board shows (`roundPseudonyms`), whatever the board's setting is today.
 */
export function renderRecordFile(
  src: RecordSource,
  options: { baseUrl: string | null; now: Date },
): DecisionRecordFile {
  const { settings } = src;
  const scale = { min: settings.scaleMin, max: settings.scaleMax };
  const board: BoardSnapshot = { ...src.snapshot, status: settings.status };
  const recordRounds: RecordRound[] = src.rounds
    .filter((r) => r.revealedAt !== null)
    .map((r) => {
      let roundScores = src.scores.filter((s) => s.roundId === r.id);
      let scorers = src.participants.filter((p) => roundScores.some((s) => s.participantId === p.id));
      if (r.anonymous) {
        const names = roundPseudonyms(
          src.pseudonymSecret,
          src.boardId,
          r.id,
          roundScores.map((s) => s.participantId),
        );
        roundScores = roundScores
          .map((s) => ({ ...s, participantId: names.get(s.participantId) ?? 'anon' }))
          .sort(byPseudonymThenCell);
        scorers = [...new Set(names.values())]
          .map((id) => ({ id, name: id }))
          .sort((a, b) => pseudonymNumber(a.id) - pseudonymNumber(b.id));
      }
      return {
        number: r.number,
        mode: r.mode,
        revealedAt: r.revealedAt,
        anonymous: r.anonymous,
        consensus: computeConsensus(roundConsensusInput(board, roundScores, scorers, scale)),
        abstentions: roundScores
          .filter((s) => s.value === null)
          .map(({ participantId, criterionId, optionId, rationale }) => ({
            participantId,
            criterionId,
            optionId,
            ...(rationale ? { rationale } : {}),
          })),
      };
    });
  const finalized = settings.status === 'finalized';
  const date = (finalized && settings.finalizedAt ? settings.finalizedAt : options.now.toISOString()).slice(
    0,
    10,
  );
  const input: DecisionRecordInput = {
    board,
    participants: src.participants,
    rounds: recordRounds,
    anonymous: settings.anonymous,
    boardUrl: options.baseUrl ? `${options.baseUrl}/v/${src.viewerKey}` : null,
    date,
    finalized,
    scale,
  };
  return { markdown: renderDecisionRecord(input), fileName: decisionRecordFileName(board.title, date) };
}

/**
 * The decision record of a board, for the download endpoint and `npm run export`, so both give
 * the same file. A finalized board answers with the record stored when it was finalized
 * (`BoardStore.getRecord`): renames, joins and setting changes after that do not reach it. Any
 * other board (or one finalized before records were stored) is rendered from what is stored now.
 */
export async function exportDecisionRecord(
  store: BoardStore,
  readBoard: (boardId: string) => Promise<BoardSnapshot>,
  boardId: string,
  options: { baseUrl: string | null; now: Date },
): Promise<DecisionRecordFile | null> {
  const row = await store.getBoard(boardId);
  if (!row) return null;
  const settings = await store.getSettings(boardId);
  if (settings.status === 'finalized') {
    const frozen = await store.getRecord(boardId);
    if (frozen) return { markdown: frozen.markdown, fileName: frozen.fileName };
  }
  const [snapshot, participants, rounds, scores, pseudonymSecret] = await Promise.all([
    readBoard(boardId),
    store.listParticipants(boardId),
    store.listRounds(boardId),
    store.listScores(boardId),
    store.serverSecret(),
  ]);
  return renderRecordFile(
    {
      boardId,
      viewerKey: row.viewerKey,
      snapshot,
      settings,
      participants: participants.map((p) => ({ id: p.id, name: p.name })),
      rounds,
      scores,
      pseudonymSecret,
    },
    options,
  );
}
