import type { BoardSnapshot } from './board-types';
import { computeConsensus } from './consensus';
import type { ConsensusInput, ConsensusResult } from './consensus-types';
import type { RosterEntry, RoundView, ScoreView } from './protocol';

export interface NamedParticipant {
  id: string;
  name: string;
}

/**
 * Who scored in a round, with the names to show. On anonymous boards the server sends
 * pseudonyms ("anon-3") instead of ids; they are shown as "Participant 3".
 */
export function roundParticipants(
  scores: readonly ScoreView[],
  roster: readonly RosterEntry[],
): NamedParticipant[] {
  const byId = new Map(roster.map((r) => [r.id, r.name]));
  const seen = new Map<string, string>();
  for (const s of scores) {
    if (seen.has(s.participantId)) continue;
    const anon = /^anon-(\d+)$/.exec(s.participantId);
    seen.set(
      s.participantId,
      anon ? `Participant ${anon[1]}` : (byId.get(s.participantId) ?? 'Former participant'),
    );
  }
  // Roster order first (stable for everyone), then anyone else by pseudonym number.
  const order = new Map(roster.map((r, i) => [r.id, i]));
  return [...seen.entries()]
    .map(([id, name]) => ({ id, name }))
    .sort(
      (a, b) =>
        (order.get(a.id) ?? 1e6) - (order.get(b.id) ?? 1e6) ||
        a.name.localeCompare(b.name, 'en', { numeric: true }),
    );
}

/** The consensus input of one round over the board's current criteria, weights and options. */
export function roundConsensusInput(
  board: Pick<BoardSnapshot, 'criteria' | 'options'>,
  scores: readonly ScoreView[],
  participants: readonly NamedParticipant[],
  scale: { min: number; max: number },
): ConsensusInput {
  return {
    scale,
    options: board.options.map((o) => ({ id: o.id, name: o.name })),
    criteria: board.criteria.map((c) => ({ id: c.id, name: c.name, weight: c.weight })),
    participants: [...participants],
    // Abstentions are left out of every statistic: a "don't know" is neither a score nor a zero.
    scores: scores.flatMap((s) =>
      s.value === null
        ? []
        : [
            {
              participantId: s.participantId,
              criterionId: s.criterionId,
              optionId: s.optionId,
              value: s.value,
              rationale: s.rationale || undefined,
            },
          ],
    ),
  };
}

/** Who abstained ("don't know") on each cell, keyed `criterionId \u0000 optionId`. */
export function abstentionsByCell(scores: readonly ScoreView[]): Map<string, ScoreView[]> {
  const byCell = new Map<string, ScoreView[]>();
  for (const s of scores) {
    if (s.value !== null) continue;
    const key = `${s.criterionId}\u0000${s.optionId}`;
    byCell.set(key, [...(byCell.get(key) ?? []), s]);
  }
  return byCell;
}

/** The consensus of a round whose scores are visible, or null while they are sealed. */
export function roundConsensus(
  board: Pick<BoardSnapshot, 'criteria' | 'options'>,
  round: Pick<RoundView, 'scores'>,
  roster: readonly RosterEntry[],
  scale: { min: number; max: number },
): { result: ConsensusResult; participants: NamedParticipant[] } | null {
  if (!round.scores) return null;
  const participants = roundParticipants(round.scores, roster);
  return {
    result: computeConsensus(roundConsensusInput(board, round.scores, participants, scale)),
    participants,
  };
}
