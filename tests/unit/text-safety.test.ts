import { describe, expect, it } from 'vitest';
import { hasDeceptiveChars, isSafeLine, isSafeText, sanitizeLine, sanitizeText } from '@/lib/text-safety';

describe('text safety', () => {
  it.each([
    ['right-to-left override', 'Ali\u202Ece'],
    ['left-to-right isolate', '\u2066Bob'],
    ['zero-width space', 'Al\u200Bice'],
    ['right-to-left mark', 'Eve\u200F'],
    ['byte order mark', '\uFEFFCarol'],
    ['hangul filler (a blank-looking name)', '\u3164'],
    ['word joiner', 'Da\u2060ve'],
  ])('%s is deceptive', (_what, s) => {
    expect(hasDeceptiveChars(s)).toBe(true);
    expect(isSafeLine(s)).toBe(false);
    expect(isSafeText(s)).toBe(false);
  });

  it.each([
    ['plain ASCII', 'Alice'],
    ['accents and other scripts', 'Zoë Ünal 山田 Ωμέγα'],
    ['an emoji family (zero-width joiners)', 'Team 👨\u200D👩\u200D👧'],
    ['Persian with a zero-width non-joiner', 'می\u200Cخواهم'],
  ])('%s is safe', (_what, s) => {
    expect(isSafeLine(s)).toBe(true);
    expect(isSafeText(s)).toBe(true);
  });

  it('a line refuses line feeds and tabs; text allows them but no other control character', () => {
    expect(isSafeLine('a\nb')).toBe(false);
    expect(isSafeText('a\nb\tc')).toBe(true);
    expect(isSafeText('a\u0007b')).toBe(false);
    expect(isSafeText('a\u0085b')).toBe(false);
  });

  it('sanitizing removes what is refused and keeps what is allowed, then cuts to the limit', () => {
    expect(sanitizeLine('Al\u202Eice\nSmith', 100)).toBe('Alice Smith');
    expect(sanitizeText('line one\n\u200Bline\u0000 two', 100)).toBe('line one\nline two');
    expect(sanitizeLine('abcdef', 3)).toBe('abc');
    expect(isSafeLine(sanitizeLine('\u202E\u0001x\u3164', 10))).toBe(true);
  });
});
