/**
 * Input and output types of the consensus math (`consensus.ts`). Plain data only.
 */

/** An integer rating scale, inclusive: 1–5 has A = 5 points. */
export interface Scale {
  min: number;
  max: number;
}

export interface ConsensusParticipant {
  id: string;
  name: string;
}

export interface ConsensusCriterion {
  id: string;
  name: string;
  weight: number;
}

export interface ConsensusOption {
  id: string;
  name: string;
}

/** One participant's score for one option on one criterion. */
export interface Score {
  participantId: string;
  criterionId: string;
  optionId: string;
  value: number;
  rationale?: string | undefined;
}

export interface ConsensusInput {
  scale: Scale;
  options: ConsensusOption[];
  criteria: ConsensusCriterion[];
  participants: ConsensusParticipant[];
  scores: Score[];
}

/** LeBreton & Senter (2008) bands for r_wg, plus "not enough scores" for n < 2. */
export type AgreementBand = 'none' | 'weak' | 'moderate' | 'strong' | 'very-strong' | 'not-enough-scores';

export interface CellStats {
  criterionId: string;
  optionId: string;
  n: number;
  /** null when n = 0 */
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  /** Sample standard deviation (n − 1); null when n < 2. */
  sd: number | null;
  /** r_wg = 1 − s²/σ²_EU clamped to [0, 1]; null when n < 2. */
  rwg: number | null;
  agreement: AgreementBand;
  scores: { participantId: string; value: number; rationale?: string | undefined }[];
}

export interface OptionTotal {
  optionId: string;
  /** Weighted mean score on the scale (normalized weights); null if no criterion has scores. */
  total: number | null;
  /** Share of the total weight that had at least one score for this option (0–1). */
  coverage: number;
}

export interface ParticipantPreference {
  participantId: string;
  totals: OptionTotal[];
  /** null when the participant scored nothing, or tied at the top. */
  preferredOptionId: string | null;
  /** Cells scored / cells on the board. */
  completion: number;
}

export interface Sensitivity {
  criterionId: string;
  /**
   * Smallest signed change of this criterion's raw weight that makes another option lead
   * (new weight = weight + delta, kept >= 0); null when no admissible change does.
   */
  delta: number | null;
  /** The option that would lead after that change. */
  newLeaderId: string | null;
}

export interface ConsensusResult {
  cells: CellStats[];
  totals: OptionTotal[];
  /** The option with the highest total; null on a tie at the top or when nothing is scored. */
  leaderId: string | null;
  /** Leader's total minus the runner-up's; null when there is no leader. */
  margin: number | null;
  participants: ParticipantPreference[];
  /** Share (0–1) of participants with a preference who prefer the leader; null if nobody has one. */
  support: number | null;
  /** Cells ordered least agreement first (cells with n >= 2 only). */
  discussFirst: { criterionId: string; optionId: string; rwg: number }[];
  sensitivity: Sensitivity[];
}
