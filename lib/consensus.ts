import type {
  AgreementBand,
  CellStats,
  ConsensusInput,
  ConsensusResult,
  OptionTotal,
  ParticipantPreference,
  Scale,
  Score,
  Sensitivity,
} from './consensus-types';

/**
 * Consensus math of the Decision Board: per-cell statistics and agreement (r_wg), weighted
 * totals per option (group and per participant), the leader and its support, the cells to
 * discuss first, and how sensitive the leader is to each criterion's weight. Pure and
 * deterministic; the result does not depend on the order of participants or scores (except
 * `CellStats.scores` and `ConsensusResult.participants`, which follow `input.participants`).
 */

/**
 * Two totals closer than this (in scale points) are a tie: no leader, no preferred option.
 * It absorbs floating-point noise (e.g. 0.1 + 0.2 style sums), not real differences.
 */
export const TOTAL_TIE_TOLERANCE = 1e-9;

/**
 * A lead under a quarter of one point of the scale is "too close to call": less than the
 * rounding of a single score, so calling it a lead would overstate it. On a 1–5 scale, 0.25.
 */
export const CLOSE_CALL_POINTS = 0.25;

/** Whether a leader's margin is too small to mean anything on the scale (see {@link CLOSE_CALL_POINTS}). */
export function isCloseCall(margin: number | null): boolean {
  return margin !== null && margin < CLOSE_CALL_POINTS;
}

/**
 * Sensitivity entries nearest first: by the size of the weight change that changes the leader;
 * the entries no single weight change flips come last, in board order (the sort is stable).
 */
export function sensitivityNearestFirst(sensitivity: readonly Sensitivity[]): Sensitivity[] {
  const distance = (s: Sensitivity) => (s.delta === null ? Number.POSITIVE_INFINITY : Math.abs(s.delta));
  return [...sensitivity].sort((a, b) => {
    const da = distance(a);
    const db = distance(b);
    return da === db ? 0 : da < db ? -1 : 1;
  });
}

/**
 * Inclusive upper limits of the r_wg agreement bands (LeBreton & Senter, 2008). A value
 * `<= none` is 'none', `<= weak` is 'weak', `<= moderate` is 'moderate', `<= strong` is
 * 'strong', anything above is 'very-strong'. So .30 is none, .305 and .50 are weak, .90 is
 * strong and .9001 is very strong.
 */
export const AGREEMENT_BAND_LIMITS = { none: 0.3, weak: 0.5, moderate: 0.7, strong: 0.9 } as const;

/** r_wg values within this of a band limit count as on the limit (1 − 0.3 is not exactly 0.7). */
const BAND_ROUNDING_TOLERANCE = 1e-9;

/**
 * The agreement band of an r_wg value; see {@link AGREEMENT_BAND_LIMITS} for the exact edges.
 * `null` (fewer than two scores) is 'not-enough-scores'.
 */
export function agreementBand(rwgValue: number | null): AgreementBand {
  if (rwgValue === null || Number.isNaN(rwgValue)) return 'not-enough-scores';
  const within = (limit: number) => rwgValue <= limit + BAND_ROUNDING_TOLERANCE;
  if (within(AGREEMENT_BAND_LIMITS.none)) return 'none';
  if (within(AGREEMENT_BAND_LIMITS.weak)) return 'weak';
  if (within(AGREEMENT_BAND_LIMITS.moderate)) return 'moderate';
  if (within(AGREEMENT_BAND_LIMITS.strong)) return 'strong';
  return 'very-strong';
}

/** Median of the values (mean of the two middle ones for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Sample variance s² (divisor n − 1); null when n < 2. For integer scores it is computed as
 * (nΣx² − (Σx)²) / (n(n − 1)) in exact integer arithmetic with a single rounding, so equal
 * variances give identical numbers whatever the order of the values (this keeps ties in
 * `discussFirst` real ties). Other values use the two-pass formula over the sorted values.
 */
export function sampleVariance(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  let sum = 0;
  let sumOfSquares = 0;
  for (const v of values) {
    sum += v;
    sumOfSquares += v * v;
  }
  const exact = values.every(Number.isSafeInteger) && n * sumOfSquares <= Number.MAX_SAFE_INTEGER;
  if (exact) return (n * sumOfSquares - sum * sum) / (n * (n - 1));
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((acc, v) => acc + v, 0) / n;
  return sorted.reduce((acc, v) => acc + (v - mean) ** 2, 0) / (n - 1);
}

/**
 * Within-group agreement r_wg = 1 − s²/σ²_EU (James, Demaree & Wolf, 1984), where s² is the
 * sample variance and σ²_EU = (A² − 1)/12 the variance of a uniform ("no agreement") answer on
 * an A-point scale, A = max − min + 1. Clamped to [0, 1]: a spread wider than uniform is 0.
 * null when fewer than two values (or a value is not finite). Identical values give exactly 1.
 */
export function rwg(values: readonly number[], scale: Scale): number | null {
  if (values.length < 2 || !values.every(Number.isFinite)) return null;
  const variance = sampleVariance(values)!;
  if (variance === 0) return 1;
  const points = scale.max - scale.min + 1;
  const uniformVariance = (points * points - 1) / 12;
  if (!(uniformVariance > 0)) return 0;
  return Math.min(1, Math.max(0, 1 - variance / uniformVariance));
}

/** Cell means, `means[criterionIndex][optionIndex]`, null where the cell has no score. */
type MeanGrid = readonly (readonly (number | null)[])[];

/** Weights as used: invalid (negative, non-finite) count as 0; all zero means all equal. */
function effectiveWeights(raw: readonly number[]): number[] {
  const weights = raw.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  return weights.some((w) => w > 0) ? weights : weights.map(() => 1);
}

/**
 * Weighted mean per option over the criteria that have a score for it, weights normalized
 * and renormalized over those criteria: a missing cell is left out, never counted as zero.
 * A criterion of weight 0 neither contributes nor counts as covered, so an option scored only
 * on zero-weight criteria has total null.
 */
function optionTotals(rawWeights: readonly number[], means: MeanGrid, optionIds: readonly string[]) {
  const weights = effectiveWeights(rawWeights);
  const weightSum = weights.reduce((acc, w) => acc + w, 0);
  return optionIds.map((optionId, oi): OptionTotal => {
    let coveredRaw = 0;
    let coveredNormalized = 0;
    let weighted = 0;
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    weights.forEach((w, ci) => {
      const mean = means[ci]?.[oi] ?? null;
      if (mean === null || w === 0) return;
      const normalized = w / weightSum;
      coveredRaw += w;
      coveredNormalized += normalized;
      weighted += normalized * mean;
      lowest = Math.min(lowest, mean);
      highest = Math.max(highest, mean);
    });
    if (coveredRaw === 0) return { optionId, total: null, coverage: 0 };
    // The clamp only removes rounding noise: a weighted mean lies between its inputs.
    const total = Math.min(highest, Math.max(lowest, weighted / coveredNormalized));
    return { optionId, total, coverage: Math.min(1, coveredRaw / weightSum) };
  });
}

/**
 * The option with the highest total, unless another is within {@link TOTAL_TIE_TOLERANCE}
 * (then null). Options without a total take no part. margin is null without a runner-up.
 */
function pickLeader(totals: readonly OptionTotal[]): { leaderId: string | null; margin: number | null } {
  let best: OptionTotal | null = null;
  let second: OptionTotal | null = null;
  for (const t of totals) {
    if (t.total === null) continue;
    if (best === null || t.total > best.total!) {
      second = best;
      best = t;
    } else if (second === null || t.total > second.total!) {
      second = t;
    }
  }
  if (best === null) return { leaderId: null, margin: null };
  if (second === null) return { leaderId: best.optionId, margin: null };
  const margin = best.total! - second.total!;
  return margin > TOTAL_TIE_TOLERANCE
    ? { leaderId: best.optionId, margin }
    : { leaderId: null, margin: null };
}

/** Real roots of ax² + bx + c = 0 (numerically stable form); [] when none or all x. */
function quadraticRoots(a: number, b: number, c: number): number[] {
  if (a === 0) return b === 0 ? [] : [-c / b];
  const discriminant = b * b - 4 * a * c;
  if (discriminant < 0) return [];
  const q = -0.5 * (b + Math.sign(b || 1) * Math.sqrt(discriminant));
  return q === 0 ? [0] : [q / a, c / q];
}

interface LeaderChange {
  /** Distance from the current weight to the exact crossing point. */
  distance: number;
  delta: number;
  leaderId: string;
}

/**
 * Sensitivity of the leader to one criterion's weight x (others fixed). For x > 0 each option's
 * total is (P + xQ)/(R + xU): P, R are the weighted sum and weight of its other covered
 * criteria, and Q = mean, U = 1 if the option has a score on this criterion (else 0, and the
 * total is constant — the renormalisation over covered criteria is kept exactly). Two totals
 * can only swap order where the cross-multiplied difference, a quadratic in x, is zero; between
 * consecutive roots the order of all options is fixed. x = 0 is a possible jump (the all-zero
 * fallback, or an option whose only covered weight is this criterion), so it is probed as a
 * point. Each interval is probed with the very function `computeConsensus` uses, walking
 * outward from the current weight, up and down; the nearer change wins (up on a tie).
 */
function sensitivityFor(
  ci: number,
  rawWeights: readonly number[],
  means: MeanGrid,
  optionIds: readonly string[],
  leaderId: string,
): Omit<Sensitivity, 'criterionId'> {
  const weights = rawWeights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const current = weights[ci]!;
  // Step sizes scale with the weights, so scaling every weight scales every delta.
  const weightSum = weights.reduce((acc, w) => acc + w, 0);
  const scaleOfWeights = weightSum > 0 ? weightSum : 1;
  const leaderAt = (x: number) => {
    const probe = [...weights];
    probe[ci] = x;
    return pickLeader(optionTotals(probe, means, optionIds)).leaderId;
  };
  const isChange = (id: string | null): id is string => id !== null && id !== leaderId;

  const lines = optionIds.map((_, oi) => {
    let p = 0;
    let r = 0;
    weights.forEach((w, other) => {
      const mean = means[other]?.[oi] ?? null;
      if (other === ci || mean === null || w === 0) return;
      p += w * mean;
      r += w;
    });
    const own = means[ci]?.[oi] ?? null;
    return { p, r, q: own ?? 0, u: own === null ? 0 : 1 };
  });
  const points = new Set<number>([0, current]);
  lines.forEach((a, i) => {
    for (const b of lines.slice(i + 1)) {
      if ((a.u === 0 && a.r === 0) || (b.u === 0 && b.r === 0)) continue;
      const roots = quadraticRoots(
        a.q * b.u - b.q * a.u,
        a.p * b.u + a.q * b.r - b.p * a.u - b.q * a.r,
        a.p * b.r - b.p * a.r,
      );
      for (const root of roots) if (Number.isFinite(root) && root > 0) points.add(root);
    }
  });
  const sorted = [...points].sort((x, y) => x - y);
  const start = sorted.indexOf(current);

  // Smallest offset from the interval's near end that makes another option lead: double from
  // a tiny step until it works, then bisect (the tie tolerance widens the crossing a little).
  const probeInterval = (near: number, mid: number, direction: 1 | -1): LeaderChange | null => {
    if (!isChange(leaderAt(mid))) return null;
    const attempt = (offset: number): LeaderChange | null => {
      const delta = near - current + direction * offset;
      const leader = current + delta >= 0 ? leaderAt(current + delta) : null;
      return isChange(leader) ? { distance: Math.abs(near - current), delta, leaderId: leader } : null;
    };
    const room = Math.abs(mid - near);
    let failing = 0;
    let offset = Math.max(Math.abs(near), scaleOfWeights) * 2 ** -40;
    while (offset < room) {
      const found = attempt(offset);
      if (found) {
        let best = found;
        let working = offset;
        for (let step = 0; step < 12; step++) {
          const between = (failing + working) / 2;
          const better = attempt(between);
          if (better) [best, working] = [better, between];
          else failing = between;
        }
        return best;
      }
      failing = offset;
      offset *= 2;
    }
    return attempt(room);
  };

  let up: LeaderChange | null = null;
  for (let i = start; i < sorted.length && !up; i++) {
    const lo = sorted[i]!;
    const hi = sorted[i + 1];
    const mid = hi === undefined ? lo + Math.max(lo, scaleOfWeights) : lo + (hi - lo) / 2;
    up = probeInterval(lo, mid, 1);
  }
  let down: LeaderChange | null = null;
  for (let i = start; i > 0 && !down; i--) {
    const lo = sorted[i - 1]!;
    const hi = sorted[i]!;
    down = probeInterval(hi, lo + (hi - lo) / 2, -1);
  }
  if (!down && current > 0) {
    const leader = leaderAt(0);
    if (isChange(leader)) down = { distance: current, delta: -current, leaderId: leader };
  }
  const chosen = up && (!down || up.distance <= down.distance * (1 + 1e-9)) ? up : down;
  return chosen ? { delta: chosen.delta, newLeaderId: chosen.leaderId } : { delta: null, newLeaderId: null };
}

/** Keeps only scores that belong on the board; the last of duplicate ballots wins. */
function collectBallots(input: ConsensusInput) {
  const indexOf = (items: readonly { id: string }[]) => {
    const map = new Map<string, number>();
    for (const item of items) if (!map.has(item.id)) map.set(item.id, map.size);
    return map;
  };
  const criterionIndex = indexOf(input.criteria);
  const optionIndex = indexOf(input.options);
  const participantIndex = indexOf(input.participants);
  const { min, max } = input.scale;
  // ballots[(ci * optionCount + oi) * participantCount + pi]
  const ballots: (Score | undefined)[] = [];
  for (const score of input.scores) {
    const ci = criterionIndex.get(score.criterionId);
    const oi = optionIndex.get(score.optionId);
    const pi = participantIndex.get(score.participantId);
    if (ci === undefined || oi === undefined || pi === undefined) continue;
    if (!Number.isInteger(score.value) || score.value < min || score.value > max) continue;
    ballots[(ci * optionIndex.size + oi) * participantIndex.size + pi] = score;
  }
  // Duplicate ids keep their first occurrence, matching the indices above.
  const firstOf = <T extends { id: string }>(items: readonly T[]) =>
    items.filter((item, i) => items.findIndex((other) => other.id === item.id) === i);
  return {
    criteria: firstOf(input.criteria),
    options: firstOf(input.options),
    participants: firstOf(input.participants),
    ballotAt: (ci: number, oi: number, pi: number) =>
      ballots[(ci * optionIndex.size + oi) * participantIndex.size + pi],
  };
}

function cellStats(
  criterionId: string,
  optionId: string,
  ballots: readonly Score[],
  scale: Scale,
): CellStats {
  const values = ballots.map((b) => b.value).sort((a, b) => a - b);
  const n = values.length;
  const variance = sampleVariance(values);
  const agreement = rwg(values, scale);
  return {
    criterionId,
    optionId,
    n,
    mean: n === 0 ? null : values.reduce((acc, v) => acc + v, 0) / n,
    median: median(values),
    min: n === 0 ? null : values[0]!,
    max: n === 0 ? null : values[n - 1]!,
    sd: variance === null ? null : Math.sqrt(variance),
    rwg: agreement,
    agreement: agreementBand(agreement),
    scores: ballots.map(({ participantId, value, rationale }) =>
      rationale === undefined ? { participantId, value } : { participantId, value, rationale },
    ),
  };
}

/**
 * Computes the consensus matrix of a revealed round.
 *
 * Only scores whose criterion, option and participant are in the input, and whose value is an
 * integer on the scale, count; if a participant has several scores for one cell, the last one
 * wins. Totals are weighted means of cell means over the criteria scored for that option (a
 * missing cell is left out and the other weights renormalised, never counted as zero); when
 * all weights are 0 every criterion weighs the same. Negative or non-finite weights count as 0.
 * Totals within {@link TOTAL_TIE_TOLERANCE} of each other tie: a tie at the top gives no leader.
 * An option without a total (nothing scored) never leads; a leader without a runner-up has
 * margin null. Sensitivity deltas are the exact crossing point plus the smallest step (found by
 * probing the same computation) that really makes another option lead; when a weight is 0 and
 * any increase changes the leader, delta is that tiny positive step.
 */
export function computeConsensus(input: ConsensusInput): ConsensusResult {
  const { criteria, options, participants, ballotAt } = collectBallots(input);
  const optionIds = options.map((o) => o.id);
  const weights = criteria.map((c) => c.weight);

  const cells: CellStats[] = [];
  const means: (number | null)[][] = criteria.map((criterion, ci) =>
    options.map((option, oi) => {
      const ballots = participants.flatMap((_, pi) => ballotAt(ci, oi, pi) ?? []);
      const cell = cellStats(criterion.id, option.id, ballots, input.scale);
      cells.push(cell);
      return cell.mean;
    }),
  );

  const totals = optionTotals(weights, means, optionIds);
  const { leaderId, margin } = pickLeader(totals);

  const cellCount = criteria.length * options.length;
  const preferences = participants.map((participant, pi): ParticipantPreference => {
    const own = criteria.map((_, ci) => options.map((_, oi) => ballotAt(ci, oi, pi)?.value ?? null));
    const ownTotals = optionTotals(weights, own, optionIds);
    const scored = own.flat().filter((v) => v !== null).length;
    return {
      participantId: participant.id,
      totals: ownTotals,
      preferredOptionId: pickLeader(ownTotals).leaderId,
      completion: cellCount === 0 ? 0 : scored / cellCount,
    };
  });
  const withPreference = preferences.filter((p) => p.preferredOptionId !== null);
  const support =
    leaderId === null || withPreference.length === 0
      ? null
      : withPreference.filter((p) => p.preferredOptionId === leaderId).length / withPreference.length;

  // Least agreement first; equal r_wg (e.g. several clamped to 0): wider spread first, then
  // board order (criteria, then options) — `cells` is in board order and the sort is stable.
  const discussFirst = cells
    .filter((cell) => cell.rwg !== null)
    .sort((a, b) => a.rwg! - b.rwg! || b.sd! - a.sd!)
    .map(({ criterionId, optionId, rwg }) => ({ criterionId, optionId, rwg: rwg! }));

  const sensitivity = criteria.map(
    (criterion, ci): Sensitivity => ({
      criterionId: criterion.id,
      ...(leaderId === null
        ? { delta: null, newLeaderId: null }
        : sensitivityFor(ci, weights, means, optionIds, leaderId)),
    }),
  );

  return { cells, totals, leaderId, margin, participants: preferences, support, discussFirst, sensitivity };
}
