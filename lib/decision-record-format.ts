/**
 * Formatting helpers shared by the decision record's sections: numbers (2 decimals for
 * statistics, whole numbers for weights and percentages), timestamps, and the Markdown building
 * blocks (lists, tables). These produce structure only; callers pass text already escaped.
 */
import type { AgreementBand, CellStats } from './consensus-types';
import { escapeMarkdownInline } from './markdown-escape';

/** Shown in place of a number or name that is missing. */
export const NO_VALUE = '—';

// ---------------------------------------------------------------------------------------------
// Number formatting: 2 decimals for statistics, whole numbers for weights and percentages.
// ---------------------------------------------------------------------------------------------

/** A statistic with 2 decimals (never "-0.00"), or `NO_VALUE` when missing or not finite. */
export function formatStat(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_VALUE;
  const text = value.toFixed(2);
  return text === '-0.00' ? '0.00' : text;
}

/** A change with 2 decimals and an explicit sign: "+0.25", "-0.10". */
export function formatSigned(value: number | null | undefined): string {
  const text = formatStat(value);
  return text === NO_VALUE || text.startsWith('-') ? text : `+${text}`;
}

/** A raw score or scale bound: as typed when whole, else 2 decimals. */
export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_VALUE;
  return Number.isInteger(value) ? String(value) : formatStat(value);
}

/** Weights are whole numbers in practice; a fractional one keeps up to 2 decimals rather than lie. */
export function formatWeight(value: number): string {
  if (!Number.isFinite(value)) return NO_VALUE;
  return String(Math.round(value * 100) / 100);
}

/** A share in [0, 1] as a whole percentage: "67%". */
export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return NO_VALUE;
  return `${Math.round(share * 100)}%`;
}

const BAND_TEXT: Record<AgreementBand, string> = {
  none: 'none',
  weak: 'weak',
  moderate: 'moderate',
  strong: 'strong',
  'very-strong': 'very strong',
  'not-enough-scores': 'not enough scores',
};

/** "0.50 (weak)", or "not enough scores" below two scores. */
export function formatAgreement(cell: CellStats): string {
  if (cell.rwg === null || !Number.isFinite(cell.rwg)) return BAND_TEXT['not-enough-scores'];
  return `${formatStat(cell.rwg)} (${BAND_TEXT[cell.agreement] ?? 'unknown'})`;
}

/** "strong agreement, 0.83" for running text. */
export function agreementPhrase(cell: CellStats): string {
  if (cell.rwg === null || !Number.isFinite(cell.rwg)) return 'not enough scores for agreement';
  const band = BAND_TEXT[cell.agreement] ?? 'unknown';
  return `${band === 'none' ? 'no' : band} agreement, ${formatStat(cell.rwg)}`;
}

/** "2026-11-22 10:40 UTC" from an ISO timestamp; anything else is shown as (escaped) text. */
export function formatTimestamp(value: string | null): string {
  if (value === null || value.trim() === '') return 'not revealed';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    value.trim(),
  );
  if (m === null) return escapeMarkdownInline(value);
  const zone = m[3] === undefined ? '' : m[3] === 'Z' ? ' UTC' : ` ${m[3]}`;
  return `${m[1]} ${m[2]}${zone}`;
}

/** "1 score", "3 scores". */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The arithmetic mean, or null for no values. */
export function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
}

// ---------------------------------------------------------------------------------------------
// Markdown building blocks (structure only; callers pass escaped text)
// ---------------------------------------------------------------------------------------------

/** A `*` bullet list, one item per entry. */
export function bullets(items: string[]): string {
  return items.map((item) => `* ${item}`).join('\n');
}

/** A GFM table; `rightAligned[i]` right-aligns column i (numbers). */
export function table(header: string[], rightAligned: boolean[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const delimiter = header.map((_, i) => (rightAligned[i] ? '---:' : '---'));
  return [line(header), line(delimiter), ...rows.map(line)].join('\n');
}

/** Already escaped text in double quotes, as an option is named in running text. */
export function quoted(escaped: string): string {
  return `"${escaped}"`;
}
