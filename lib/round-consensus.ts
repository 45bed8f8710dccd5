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
    scores: scores.map((s) => ({
      participantId: s.participantId,
      criterionId: s.criterionId,
      optionId: s.optionId,
      value: s.value,
      rationale: s.rationale || undefined,
    })),
  };
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
