import type { BoardSnapshot } from '@/lib/board-types';
import { computeConsensus } from '@/lib/consensus';
import {
  type DecisionRecordInput,
  decisionRecordFileName,
  type RecordRound,
  renderDecisionRecord,
} from '@/lib/decision-record';
import { roundConsensusInput } from '@/lib/round-consensus';
import type { BoardStore } from './storage/types';

export interface DecisionRecordFile {
  markdown: string;
  fileName: string;
}

/**
 * Assembles the decision record of a board from what is stored: the document, the
 * session settings, the participants and every revealed round. Used by the download
 * endpoint and by `npm run export`, so both give the same file.
 */
export async function exportDecisionRecord(
  store: BoardStore,
  readBoard: (boardId: string) => Promise<BoardSnapshot>,
  boardId: string,
  options: { baseUrl: string | null; now: Date },
): Promise<DecisionRecordFile | null> {
  const row = await store.getBoard(boardId);
  if (!row) return null;
  const [snapshot, settings, participantRows, rounds, scores] = await Promise.all([
    readBoard(boardId),
    store.getSettings(boardId),
    store.listParticipants(boardId),
    store.listRounds(boardId),
    store.listScores(boardId),
  ]);
  const participants = participantRows.map((p) => ({ id: p.id, name: p.name }));
  const scale = { min: settings.scaleMin, max: settings.scaleMax };
  const board: BoardSnapshot = { ...snapshot, status: settings.status };
  const recordRounds: RecordRound[] = rounds
    .filter((r) => r.revealedAt !== null)
    .map((r) => {
      const roundScores = scores.filter((s) => s.roundId === r.id);
      const scorers = participants.filter((p) => roundScores.some((s) => s.participantId === p.id));
      return {
        number: r.number,
        mode: r.mode,
        revealedAt: r.revealedAt,
        consensus: computeConsensus(roundConsensusInput(board, roundScores, scorers, scale)),
      };
    });
  const finalized = settings.status === 'finalized';
  const date = (finalized && settings.finalizedAt ? settings.finalizedAt : options.now.toISOString()).slice(
    0,
    10,
  );
  const input: DecisionRecordInput = {
    board,
    participants,
    rounds: recordRounds,
    anonymous: settings.anonymous,
    boardUrl: options.baseUrl ? `${options.baseUrl}/v/${row.viewerKey}` : null,
    date,
    finalized,
    scale,
  };
  return { markdown: renderDecisionRecord(input), fileName: decisionRecordFileName(board.title, date) };
}
