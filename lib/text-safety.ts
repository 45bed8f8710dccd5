/**
 * Characters that make text look different from what it is: bidirectional overrides and
 * isolates (which reorder what follows, e.g. "Alice" shown for "ecilA"), marks that are
 * invisible, and blank fillers that make an empty-looking name. Zero-width joiner and
 * non-joiner stay allowed: emoji sequences and several scripts need them.
 */
const DECEPTIVE =
  /[\u061C\u115F\u1160\u17B4\u17B5\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u3164\uFEFF\uFFA0]/u;
const DECEPTIVE_ALL = new RegExp(DECEPTIVE.source, 'gu');
/** C0/C1 controls except tab and line feed. */
const CONTROL_EXCEPT_NEWLINE = /(?![\t\n])\p{Cc}/u;
const CONTROL_EXCEPT_NEWLINE_ALL = new RegExp(CONTROL_EXCEPT_NEWLINE.source, 'gu');
const CONTROL = /\p{Cc}/u;
const CONTROL_ALL = /\p{Cc}/gu;

/** True when `s` holds a bidi control or an invisible character (see DECEPTIVE). */
export function hasDeceptiveChars(s: string): boolean {
  return DECEPTIVE.test(s);
}

/** True when a one-line value (a name, a title) is safe to show: no controls, nothing deceptive. */
export function isSafeLine(s: string): boolean {
  return !CONTROL.test(s) && !DECEPTIVE.test(s);
}

/** True when a multi-line value is safe: line feeds and tabs allowed, other controls not. */
export function isSafeText(s: string): boolean {
  return !CONTROL_EXCEPT_NEWLINE.test(s) && !DECEPTIVE.test(s);
}

/** `s` as one safe line: controls and deceptive characters removed, then cut to `max`. */
export function sanitizeLine(s: string, max: number): string {
  return s.replace(CONTROL_ALL, ' ').replace(DECEPTIVE_ALL, '').slice(0, max);
}

/** `s` as safe multi-line text: controls (but line feeds and tabs) and deceptive characters removed. */
export function sanitizeText(s: string, max: number): string {
  return s.replace(CONTROL_EXCEPT_NEWLINE_ALL, '').replace(DECEPTIVE_ALL, '').slice(0, max);
}
