import { describe, expect, it } from 'vitest';
import type { CellStats } from '@/lib/consensus-types';
import {
  agreementPhrase,
  bullets,
  formatAgreement,
  formatPercent,
  formatScore,
  formatSigned,
  formatStat,
  formatTimestamp,
  formatWeight,
  mean,
  plural,
  quoted,
  table,
} from '@/lib/decision-record-format';

/**
 * The decision record's number, date and table formatting, value by value (found by mutation
 * testing: the golden record reaches only the common cases). Each expected text was read by hand.
 */

const cell = (rwg: number | null, agreement: string) => ({ rwg, agreement }) as unknown as CellStats;

describe('decision record formatting [M1]', () => {
  it('formats statistics with 2 decimals, never "-0.00", and a dash for what is missing', () => {
    expect(
      [3.456, -1.5, -0.001, 0, null, undefined, Number.NaN, Number.POSITIVE_INFINITY].map(formatStat),
    ).toEqual(['3.46', '-1.50', '0.00', '0.00', '—', '—', '—', '—']);
    expect([0.25, -0.1, -0.001, 0, null].map(formatSigned)).toEqual([
      '+0.25',
      '-0.10',
      '+0.00',
      '+0.00',
      '—',
    ]);
  });

  it('formats scores as typed when whole, weights to 2 decimals at most, shares as whole percentages', () => {
    expect([3, 2.5, -0, null, undefined, Number.NaN, Number.NEGATIVE_INFINITY].map(formatScore)).toEqual([
      '3',
      '2.50',
      '0',
      '—',
      '—',
      '—',
      '—',
    ]);
    expect([3, 2.5, 1 / 3, Number.NaN, Number.POSITIVE_INFINITY].map(formatWeight)).toEqual([
      '3',
      '2.5',
      '0.33',
      '—',
      '—',
    ]);
    expect([2 / 3, 0, 1, null, undefined, Number.NaN].map(formatPercent)).toEqual([
      '67%',
      '0%',
      '100%',
      '—',
      '—',
      '—',
    ]);
  });

  it('names the agreement band, in a cell and in running text', () => {
    expect(formatAgreement(cell(0.5, 'weak'))).toBe('0.50 (weak)');
    expect(formatAgreement(cell(0.95, 'very-strong'))).toBe('0.95 (very strong)');
    expect(formatAgreement(cell(0.5, 'bogus'))).toBe('0.50 (unknown)');
    expect(formatAgreement(cell(null, 'not-enough-scores'))).toBe('not enough scores');
    expect(formatAgreement(cell(Number.NaN, 'weak'))).toBe('not enough scores');
    expect(agreementPhrase(cell(0, 'none'))).toBe('no agreement, 0.00');
    expect(agreementPhrase(cell(0.83, 'strong'))).toBe('strong agreement, 0.83');
    expect(agreementPhrase(cell(0.72, 'moderate'))).toBe('moderate agreement, 0.72');
    expect(agreementPhrase(cell(0.95, 'very-strong'))).toBe('very strong agreement, 0.95');
    expect(agreementPhrase(cell(0.5, 'bogus'))).toBe('unknown agreement, 0.50');
    expect(agreementPhrase(cell(null, 'not-enough-scores'))).toBe('not enough scores for agreement');
    expect(agreementPhrase(cell(Number.POSITIVE_INFINITY, 'weak'))).toBe('not enough scores for agreement');
  });

  it.each([
    [null, 'not revealed'],
    ['  ', 'not revealed'],
    ['2026-11-22T10:40:00.000Z', '2026-11-22 10:40 UTC'],
    [' 2026-11-22T10:40Z ', '2026-11-22 10:40 UTC'],
    ['2026-11-22 10:40', '2026-11-22 10:40'],
    ['2026-11-22T10:40:05', '2026-11-22 10:40'],
    ['2026-11-22T10:40:05+02:00', '2026-11-22 10:40 +02:00'],
    ['2026-11-22T10:40-0500', '2026-11-22 10:40 -0500'],
    ['2026-11-22T10:40:00.000Zjunk', '2026-11-22T10:40:00.000Zjunk'],
    ['x2026-11-22T10:40Z', 'x2026-11-22T10:40Z'],
    ['2026-11-22T1:40', '2026-11-22T1:40'],
    ['2026-11-22x10:40', '2026-11-22x10:40'],
    ['2026-11-22T10:40:5', '2026-11-22T10:40:5'],
    ['2026-11-22T10:40.5', '2026-11-22T10:40.5'],
    ['2026-11-22T10:40+2:00', '2026-11-22T10:40+2:00'],
  ])('shows the timestamp %j as %j', (value, expected) => {
    expect(formatTimestamp(value)).toBe(expected);
  });

  it('counts, averages, lists, tabulates and quotes', () => {
    expect([
      plural(0, 'score', 'scores'),
      plural(1, 'score', 'scores'),
      plural(2, 'score', 'scores'),
    ]).toEqual(['0 scores', '1 score', '2 scores']);
    expect(mean([])).toBeNull();
    expect(mean([1, 2, 6])).toBe(3);
    expect(bullets(['a', 'b'])).toBe('* a\n* b');
    expect(bullets([])).toBe('');
    expect(table(['A', 'B', 'C'], [false, true], [['1', '2', '3']])).toBe(
      '| A | B | C |\n| --- | ---: | --- |\n| 1 | 2 | 3 |',
    );
    expect(quoted('x')).toBe('"x"');
  });
});
