export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (NaN for an empty one). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0)
    return { count: 0, mean: Number.NaN, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN };
  // Infinity marks a delivery that never arrived: it counts in the percentiles, not the mean.
  let sum = 0;
  let finite = 0;
  for (const v of sorted) {
    if (Number.isFinite(v)) {
      sum += v;
      finite++;
    }
  }
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? Number.NaN;
  return {
    count: n,
    mean: finite ? sum / finite : Number.NaN,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: sorted[n - 1] ?? Number.NaN,
  };
}

export function ms(v: number, digits = 1): string {
  if (v === Number.POSITIVE_INFINITY) return 'lost';
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

export function mib(bytes: number, digits = 1): string {
  return (bytes / 1024 / 1024).toFixed(digits);
}

export function kib(bytes: number, digits = 1): string {
  return (bytes / 1024).toFixed(digits);
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
