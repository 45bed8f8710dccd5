/**
 * The decision record: a board, its revealed rounds and the decision draft rendered as Markdown
 * in the MADR 4 layout (https://adr.github.io/madr/), ready to commit next to code as an ADR.
 *
 * Pure: no I/O and no clock — the date comes in with the input.
 *
 * Safety rule: every string a person typed (title, names, rationales, evidence, notes, sources,
 * decision fields) reaches the output only through `escapeMarkdownInline` / `escapeTableCell`
 * (one line) or `escapeMarkdownBlock` (paragraphs). None of it can open a heading, a list or a
 * code block, break a table, inject HTML or smuggle in a non-http(s) link.
 */
import {
  type BoardSnapshot,
  DECISION_STATUSES,
  type EvidenceSnapshot,
  type OptionSnapshot,
} from './board-types';
import type {
  AgreementBand,
  CellStats,
  ConsensusResult,
  OptionTotal,
  ParticipantPreference,
  Scale,
} from './consensus-types';

/** One revealed round and the consensus computed from its ballots. */
export interface RecordRound {
  number: number;
  mode: 'blind' | 'open';
  /** ISO timestamp of the reveal, or null. */
  revealedAt: string | null;
  consensus: ConsensusResult;
}

/** Everything the decision record is rendered from. */
export interface DecisionRecordInput {
  board: BoardSnapshot;
  participants: { id: string; name: string }[];
  /** Revealed rounds, oldest first. May be empty (nothing scored yet). */
  rounds: RecordRound[];
  /** Names hidden in matrix and dissent: use "Participant 1", "Participant 2"… (stable by participants order). */
  anonymous: boolean;
  /** Link to the board to put in More Information (a read-only viewer link), or null. */
  boardUrl: string | null;
  /** YYYY-MM-DD for the front matter date. */
  date: string;
  /** true once the facilitator finalized; false → status "proposed" and the outcome names the leader as LEADING, not chosen. */
  finalized: boolean;
  scale: Scale;
}

/** Longest file name `decisionRecordFileName` returns, extension included. */
export const MAX_RECORD_FILE_NAME_CHARS = 80;

const FILE_EXTENSION = '.md';
const NO_VALUE = '—';
const ISO_DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;

// ---------------------------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------------------------

// C0/C1 controls (except whitespace, which is collapsed) and the explicit bidi embedding,
// override and isolate controls, which could visually reorder the rest of a line ("Trojan Source").
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
const UNWANTED_CHARS = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const WHITESPACE_RUN = /[\s\u0085]+/g;
const LINE_BREAK = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;

/** Characters with inline meaning in CommonMark/GFM (and `$` for GitHub math), and their escapes. */
const INLINE_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '`': '\\`',
  '*': '\\*',
  _: '\\_',
  '[': '\\[',
  ']': '\\]',
  '|': '\\|',
  '~': '\\~',
  $: '\\$',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
};
const INLINE_SPECIAL = /[\\`*_[\]|~$&<>]/g;
/**
 * An http(s) URL in running text (trailing punctuation is trimmed off afterwards). Like GFM's
 * autolink literal it may follow anything but a letter; every such URL must become an explicit
 * link, or micromark would autolink it reading our escapes as part of the address.
 */
const URL_IN_TEXT = /(?<![A-Za-z])https?:\/\/[^\s<>]+/gi;

/** One line: lone surrogates replaced, control characters dropped, whitespace collapsed, trimmed. */
function normalizeInline(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(UNWANTED_CHARS, '')
    .replace(WHITESPACE_RUN, ' ')
    .trim();
}

function escapeCharacters(text: string): string {
  return (
    text
      .replace(INLINE_SPECIAL, (c) => INLINE_ESCAPES[c] ?? c)
      // "www." starts a GFM autolink literal that micromark reads raw, escapes included, so a
      // "www.x.com/a\_b" would link to a wrong address; an escaped dot leaves autolinking to
      // renderers that do it after unescaping.
      .replace(/(?<![A-Za-z0-9])(www)\./gi, '$1\\.')
  );
}

/** Escapes running text; a URL left here was not parseable, and must not be autolinked raw either. */
function escapeText(text: string): string {
  return escapeCharacters(text).replace(/(?<![A-Za-z])(https?):\/\//gi, '$1\\://');
}

/** User text as the label of a link we make: escaped like running text, but never linked itself. */
function linkLabel(text: string): string {
  return escapeText(normalizeInline(text));
}

/** Drops trailing punctuation that ends a sentence rather than the URL (GFM's rule, roughly). */
function trimUrlToken(token: string): string {
  let end = token.length;
  while (end > 0) {
    const last = token[end - 1] ?? '';
    if ('.,:;!?\'"*_~'.includes(last)) {
      end -= 1;
      continue;
    }
    const pair = last === ')' ? '(' : last === ']' ? '[' : null;
    if (pair !== null) {
      const head = token.slice(0, end);
      if (head.split(pair).length < head.split(last).length) {
        end -= 1;
        continue;
      }
    }
    break;
  }
  return token.slice(0, end);
}

/**
 * The address to put in a link destination, or null when `raw` is not an absolute http(s) URL.
 * Characters that could end the `<…>` destination, escape inside it or split a table cell are
 * percent-encoded.
 */
function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.href.replace(
    /[\\|`<>"\s]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** Neutralizes what would start a block (heading, list, quote, thematic break, setext underline). */
function neutralizeBlockStart(escaped: string): string {
  let out = /^[#+\-=]/.test(escaped) ? `\\${escaped}` : escaped.replace(/^(\d{1,9})([.)])/, '$1\\$2');
  // A trailing run of `#` after a space would be eaten as the closing sequence of a heading.
  out = out.replace(/(^|\s)(#+)$/, '$1\\$2');
  return out;
}

/**
 * Escapes user text for one line of Markdown: a paragraph, a list item, a heading or a table cell.
 *
 * Newlines become spaces; `\`, backticks, `*`, `_`, `[`, `]`, `|`, `~` and `$` are
 * backslash-escaped; `&`, `<`, `>` become entities (so no HTML survives); a leading `#`, `-`, `+`,
 * `=`, `1.` or `1)` is escaped so the text cannot open a heading, list or thematic break. Brackets
 * are escaped, so `[x](javascript:…)` stays text; http(s) URLs in the text become links to the
 * parsed address (any other scheme stays text). Control and bidi-override characters are dropped.
 * Rendered, the result shows the original text with whitespace collapsed.
 */
export function escapeMarkdownInline(text: string): string {
  const clean = normalizeInline(text);
  let out = '';
  let done = 0;
  for (const match of clean.matchAll(URL_IN_TEXT)) {
    const start = match.index;
    if (start < done) continue;
    const token = trimUrlToken(match[0]);
    const href = safeHref(token);
    if (href === null) continue;
    // A `!` right before the link's `[` would turn it into an image.
    out += escapeText(clean.slice(done, start)).replace(/!$/, '\\!');
    out += `[${escapeCharacters(token)}](<${href}>)`;
    done = start + token.length;
  }
  out += escapeText(clean.slice(done));
  return neutralizeBlockStart(out);
}

/**
 * Escapes user text for a GFM table cell: the same guarantees as `escapeMarkdownInline` — one
 * line, `|` escaped (also inside link text; link addresses have it percent-encoded), no HTML, no
 * code spans, no emphasis — so a row always has exactly the cells its header has.
 */
export function escapeTableCell(text: string): string {
  return escapeMarkdownInline(text);
}

/**
 * Escapes multi-line user text as paragraphs: blank lines separate paragraphs, other line breaks
 * become hard breaks, and every line is escaped like `escapeMarkdownInline` (so a typed "- item"
 * or "# title" line shows as text).
 */
export function escapeMarkdownBlock(text: string): string {
  const paragraphs: string[][] = [[]];
  for (const line of text.split(LINE_BREAK)) {
    const escaped = escapeMarkdownInline(line);
    const current = paragraphs[paragraphs.length - 1]!;
    if (escaped !== '') current.push(escaped);
    else if (current.length > 0) paragraphs.push([]);
  }
  return paragraphs
    .filter((lines) => lines.length > 0)
    .map((lines) => lines.join('\\\n'))
    .join('\n\n');
}

/**
 * A YAML double-quoted scalar on one line: JSON escapes, plus `\u` escapes for YAML's non-printable
 * characters and for `<` and `>` (the value reads back unchanged, and no tag appears in the file
 * for a renderer that shows front matter to trip over).
 */
function yamlString(text: string): string {
  return JSON.stringify(normalizeInline(text)).replace(
    /[<>\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Free text with one entry per line (or comma-separated) as a single comma-separated line. */
function joinLines(text: string): string {
  return text
    .split(LINE_BREAK)
    .map(normalizeInline)
    .filter((line) => line !== '')
    .join(', ');
}

// ---------------------------------------------------------------------------------------------
// File name
// ---------------------------------------------------------------------------------------------

/** Letters NFKD does not decompose into ASCII. */
const TRANSLITERATIONS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  þ: 'th',
  ı: 'i',
};

function slugify(text: string, maxChars: number): string {
  const ascii = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[ßæœøđðłþı]/g, (c) => TRANSLITERATIONS[c] ?? '');
  let slug = '';
  for (const word of ascii.split(/[^a-z0-9]+/).filter((w) => w !== '')) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > maxChars) {
      // Cut at a word boundary; only a single over-long first word is cut inside.
      if (slug === '') slug = word.slice(0, maxChars);
      break;
    }
    slug = next;
  }
  return slug;
}

/**
 * The file name for a decision record, e.g. `2026-11-22-django-or-node-js-for-our-backend.md`:
 * the date (when it is a valid YYYY-MM-DD) and the title as lowercase ASCII kebab-case (accents
 * stripped, other characters dropped). Never empty (falls back to "decision"), at most
 * `MAX_RECORD_FILE_NAME_CHARS` characters, no path separators, no dot files.
 */
export function decisionRecordFileName(title: string, date: string): string {
  const day = date.trim();
  const prefix = ISO_DATE.test(day) ? `${day}-` : '';
  let slug = slugify(title, MAX_RECORD_FILE_NAME_CHARS - prefix.length - FILE_EXTENSION.length) || 'decision';
  // Windows reserves these device names whatever the extension.
  if (prefix === '' && /^(?:con|prn|aux|nul|com\d|lpt\d)$/.test(slug)) slug = `decision-${slug}`;
  return `${prefix}${slug}${FILE_EXTENSION}`;
}

// ---------------------------------------------------------------------------------------------
// Number formatting: 2 decimals for statistics, whole numbers for weights and percentages.
// ---------------------------------------------------------------------------------------------

function formatStat(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_VALUE;
  const text = value.toFixed(2);
  return text === '-0.00' ? '0.00' : text;
}

function formatSigned(value: number | null | undefined): string {
  const text = formatStat(value);
  return text === NO_VALUE || text.startsWith('-') ? text : `+${text}`;
}

/** A raw score or scale bound: as typed when whole, else 2 decimals. */
function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_VALUE;
  return Number.isInteger(value) ? String(value) : formatStat(value);
}

/** Weights are whole numbers in practice; a fractional one keeps up to 2 decimals rather than lie. */
function formatWeight(value: number): string {
  if (!Number.isFinite(value)) return NO_VALUE;
  return String(Math.round(value * 100) / 100);
}

function formatPercent(share: number | null | undefined): string {
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
function formatAgreement(cell: CellStats): string {
  if (cell.rwg === null || !Number.isFinite(cell.rwg)) return BAND_TEXT['not-enough-scores'];
  return `${formatStat(cell.rwg)} (${BAND_TEXT[cell.agreement] ?? 'unknown'})`;
}

/** "strong agreement, 0.83" for running text. */
function agreementPhrase(cell: CellStats): string {
  if (cell.rwg === null || !Number.isFinite(cell.rwg)) return 'not enough scores for agreement';
  const band = BAND_TEXT[cell.agreement] ?? 'unknown';
  return `${band === 'none' ? 'no' : band} agreement, ${formatStat(cell.rwg)}`;
}

/** "2026-11-22 10:40 UTC" from an ISO timestamp; anything else is shown as (escaped) text. */
function formatTimestamp(value: string | null): string {
  if (value === null || value.trim() === '') return 'not revealed';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    value.trim(),
  );
  if (m === null) return escapeMarkdownInline(value);
  const zone = m[3] === undefined ? '' : m[3] === 'Z' ? ' UTC' : ` ${m[3]}`;
  return `${m[1]} ${m[2]}${zone}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, v) => sum + v, 0) / values.length;
}

// ---------------------------------------------------------------------------------------------
// Markdown building blocks (structure only; callers pass escaped text)
// ---------------------------------------------------------------------------------------------

function bullets(items: string[]): string {
  return items.map((item) => `* ${item}`).join('\n');
}

function table(header: string[], rightAligned: boolean[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const delimiter = header.map((_, i) => (rightAligned[i] ? '---:' : '---'));
  return [line(header), line(delimiter), ...rows.map(line)].join('\n');
}

function quoted(escaped: string): string {
  return `"${escaped}"`;
}

// ---------------------------------------------------------------------------------------------
// Rendering context: names (escaped, anonymized) and the facts every section needs
// ---------------------------------------------------------------------------------------------

interface RecordContext {
  input: DecisionRecordInput;
  board: BoardSnapshot;
  latest: RecordRound | null;
  optionName: (id: string) => string;
  criterionName: (id: string) => string;
  participantName: (id: string) => string;
  /** Orders cells and rows by the board's criterion, then option order; unknown ids last. */
  cellOrder: (
    a: { criterionId: string; optionId: string },
    b: { criterionId: string; optionId: string },
  ) => number;
  /** The chosen option when finalized with a valid choice, else null. */
  chosenId: string | null;
  /** The latest round's leader, if it is still an option on the board. */
  leaderId: string | null;
  /** What dissent is measured against: the chosen option, else the leader. */
  referenceId: string | null;
}

function createContext(input: DecisionRecordInput): RecordContext {
  const { board } = input;
  const latest = input.rounds.length > 0 ? input.rounds[input.rounds.length - 1]! : null;

  const optionNames = new Map<string, string>();
  const optionRank = new Map<string, number>();
  board.options.forEach((option, i) => {
    optionNames.set(option.id, escapeMarkdownInline(option.name) || `Option ${i + 1}`);
    optionRank.set(option.id, i);
  });
  const criterionNames = new Map<string, string>();
  const criterionRank = new Map<string, number>();
  board.criteria.forEach((criterion, i) => {
    criterionNames.set(criterion.id, escapeMarkdownInline(criterion.name) || `Criterion ${i + 1}`);
    criterionRank.set(criterion.id, i);
  });

  // Anonymous labels follow the participants order; ids seen only in ballots (people no longer
  // listed) get the next numbers, in order of first appearance, and never a name.
  const participantNames = new Map<string, string>();
  input.participants.forEach((p, i) => {
    if (participantNames.has(p.id)) return;
    const name = input.anonymous ? '' : escapeMarkdownInline(p.name);
    participantNames.set(p.id, name || `Participant ${i + 1}`);
  });
  let nextNumber = input.participants.length + 1;
  const participantName = (id: string): string => {
    let name = participantNames.get(id);
    if (name === undefined) {
      name = `Participant ${nextNumber}`;
      nextNumber += 1;
      participantNames.set(id, name);
    }
    return name;
  };
  for (const round of input.rounds) {
    for (const p of round.consensus.participants) participantName(p.participantId);
    for (const cell of round.consensus.cells) for (const s of cell.scores) participantName(s.participantId);
  }

  const rank = (map: Map<string, number>, id: string) => map.get(id) ?? Number.MAX_SAFE_INTEGER;
  const chosenId =
    input.finalized && optionNames.has(board.decision.chosenOptionId) ? board.decision.chosenOptionId : null;
  const latestLeader = latest?.consensus.leaderId ?? null;
  const leaderId = latestLeader !== null && optionNames.has(latestLeader) ? latestLeader : null;

  return {
    input,
    board,
    latest,
    optionName: (id) => optionNames.get(id) ?? '(removed option)',
    criterionName: (id) => criterionNames.get(id) ?? '(removed criterion)',
    participantName,
    cellOrder: (a, b) =>
      rank(criterionRank, a.criterionId) - rank(criterionRank, b.criterionId) ||
      rank(optionRank, a.optionId) - rank(optionRank, b.optionId),
    chosenId,
    leaderId,
    referenceId: chosenId ?? leaderId,
  };
}

function totalOf(consensus: ConsensusResult, optionId: string): OptionTotal | undefined {
  return consensus.totals.find((t) => t.optionId === optionId);
}

function anyScored(consensus: ConsensusResult): boolean {
  return consensus.totals.some((t) => t.total !== null && Number.isFinite(t.total));
}

/** Totals of the other scored options, best first: `3.40 for "Node.js"`. */
function otherTotals(ctx: RecordContext, consensus: ConsensusResult, optionId: string): string[] {
  return consensus.totals
    .filter((t) => t.optionId !== optionId && t.total !== null && Number.isFinite(t.total))
    .sort((a, b) => (b.total ?? 0) - (a.total ?? 0))
    .map((t) => `${formatStat(t.total)} for ${quoted(ctx.optionName(t.optionId))}`);
}

function preferenceCount(consensus: ConsensusResult, optionId: string): string {
  const count = consensus.participants.filter((p) => p.preferredOptionId === optionId).length;
  return `${count} of ${consensus.participants.length}`;
}

function meanAgreement(consensus: ConsensusResult): number | null {
  return mean(consensus.cells.flatMap((c) => (c.rwg !== null && Number.isFinite(c.rwg) ? [c.rwg] : [])));
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

function frontMatter(ctx: RecordContext): string {
  const { decision } = ctx.board;
  const status =
    ctx.input.finalized && DECISION_STATUSES.includes(decision.status) ? decision.status : 'proposed';
  const date = ctx.input.date.trim();
  return [
    '---',
    `status: ${yamlString(status)}`,
    `date: ${ISO_DATE.test(date) ? date : yamlString(date)}`,
    `decision-makers: ${yamlString(joinLines(decision.decisionMakers))}`,
    `consulted: ${yamlString(joinLines(decision.consulted))}`,
    `informed: ${yamlString(joinLines(decision.informed))}`,
    '---',
  ].join('\n');
}

function contextSection(ctx: RecordContext): string[] {
  const parts = [escapeMarkdownBlock(ctx.board.question), escapeMarkdownBlock(ctx.board.context)].filter(
    (p) => p !== '',
  );
  return [
    '## Context and Problem Statement',
    ...(parts.length > 0 ? parts : ['No problem statement was recorded.']),
  ];
}

function driversSection(ctx: RecordContext): string[] {
  const { criteria } = ctx.board;
  if (criteria.length === 0) return ['## Decision Drivers', 'No criteria were defined.'];
  const weightOf = (w: number) => (Number.isFinite(w) && w > 0 ? w : 0);
  const totalWeight = criteria.reduce((sum, c) => sum + weightOf(c.weight), 0);
  const items = criteria.map((criterion) => {
    const share = totalWeight > 0 ? formatPercent(weightOf(criterion.weight) / totalWeight) : NO_VALUE;
    const description = escapeMarkdownInline(criterion.description);
    const head = `${ctx.criterionName(criterion.id)} — weight ${formatWeight(criterion.weight)} (${share})`;
    return description === '' ? head : `${head}: ${description}`;
  });
  return ['## Decision Drivers', bullets(items)];
}

function optionsSection(ctx: RecordContext): string[] {
  const { options } = ctx.board;
  if (options.length === 0) return ['## Considered Options', 'No options were defined.'];
  return ['## Considered Options', bullets(options.map((o) => ctx.optionName(o.id)))];
}

/** `"Django" scored 3.85 of 5 in round 2, against 3.40 for "Node.js"; 2 of 3 participants preferred it; …` */
function standing(ctx: RecordContext, optionId: string): string | null {
  const { latest } = ctx;
  if (latest === null || !anyScored(latest.consensus)) return null;
  const { consensus } = latest;
  const total = totalOf(consensus, optionId)?.total ?? null;
  const name = quoted(ctx.optionName(optionId));
  if (total === null) return `${name} was not scored in round ${latest.number}.`;
  const others = otherTotals(ctx, consensus, optionId);
  const against = others.length > 0 ? `, against ${others.join(', ')}` : '';
  return (
    `In round ${latest.number}, ${name} scored ${formatStat(total)} of ${formatScore(ctx.input.scale.max)}` +
    `${against}; ${preferenceCount(consensus, optionId)} participants preferred it; ` +
    `mean agreement ${formatStat(meanAgreement(consensus))}.`
  );
}

function reasonText(reason: string): string {
  // The sentence supplies "because" and the final period.
  return escapeMarkdownInline(reason.replace(/^\s*because\b\s*/i, '').replace(/[\s.]+$/, ''));
}

function outcomeOpening(ctx: RecordContext): string[] {
  const { decision } = ctx.board;
  const scaleMax = formatScore(ctx.input.scale.max);
  const consensus = ctx.latest?.consensus ?? null;

  if (ctx.chosenId !== null) {
    const total = consensus === null ? null : (totalOf(consensus, ctx.chosenId)?.total ?? null);
    let reason = reasonText(decision.reason);
    if (reason === '') {
      if (total !== null && ctx.leaderId === ctx.chosenId) {
        reason = `it led the weighted consensus matrix with ${formatStat(total)} of ${scaleMax}`;
      } else if (total !== null) {
        reason = `the facilitator chose it; no reason was recorded (it scored ${formatStat(total)} of ${scaleMax})`;
      } else {
        reason = 'the facilitator chose it; no reason was recorded';
      }
    }
    const lines = [`Chosen option: ${quoted(ctx.optionName(ctx.chosenId))}, because ${reason}.`];
    if (ctx.leaderId !== null && ctx.leaderId !== ctx.chosenId) {
      lines.push(
        `Note: the weighted consensus matrix was led by ${quoted(ctx.optionName(ctx.leaderId))}, not by the chosen option.`,
      );
    }
    const summary = standing(ctx, ctx.chosenId);
    if (summary !== null) lines.push(summary);
    return lines;
  }

  const lines: string[] = [];
  if (ctx.input.finalized) lines.push('The decision was finalized without a chosen option.');
  if (ctx.leaderId !== null && consensus !== null) {
    const total = totalOf(consensus, ctx.leaderId)?.total ?? null;
    const margin =
      consensus.margin !== null ? `, ${formatStat(consensus.margin)} ahead of the next option` : '';
    lines.push(
      `Leading option: ${quoted(ctx.optionName(ctx.leaderId))} (not yet chosen): it leads the weighted consensus ` +
        `matrix with ${formatStat(total)} of ${scaleMax}${margin}. The facilitator has not finalized the decision.`,
    );
    const summary = standing(ctx, ctx.leaderId);
    if (summary !== null) lines.push(summary);
  } else if (consensus !== null && anyScored(consensus)) {
    const top = consensus.totals
      .filter((t) => t.total !== null && Number.isFinite(t.total))
      .sort((a, b) => (b.total ?? 0) - (a.total ?? 0));
    const best = top[0]?.total ?? null;
    const tied = top.filter((t) => best !== null && Math.abs((t.total ?? 0) - best) < 1e-9);
    lines.push(
      `No option leads yet: ${tied.map((t) => quoted(ctx.optionName(t.optionId))).join(' and ')} are tied at ` +
        `${formatStat(best)} of ${scaleMax} in round ${ctx.latest?.number ?? ''}.`,
    );
  } else {
    lines.push('No option leads yet: nothing has been scored.');
  }
  const draftChoice = ctx.board.options.find((o) => o.id === decision.chosenOptionId);
  if (!ctx.input.finalized && draftChoice !== undefined) {
    const reason = reasonText(decision.reason);
    lines.push(
      `The decision draft proposes ${quoted(ctx.optionName(draftChoice.id))}${reason === '' ? '' : `, because ${reason}`}.`,
    );
  }
  return lines;
}

/** One bullet per non-empty line; typed bullet markers and "Good, because" prefixes are dropped. */
function consequenceItems(text: string, kind: 'Good' | 'Bad'): string[] {
  return text
    .split(LINE_BREAK)
    .map((line) =>
      line
        .replace(/^\s*(?:[-*+•]|\d{1,9}[.)])\s+/, '')
        .replace(new RegExp(`^\\s*${kind},?\\s+because\\s*`, 'i'), ''),
    )
    .map(escapeMarkdownInline)
    .filter((line) => line !== '')
    .map((line) => `${kind}, because ${line}`);
}

function outcomeSection(ctx: RecordContext): string[] {
  const { decision } = ctx.board;
  const consequences = [
    ...consequenceItems(decision.consequencesGood, 'Good'),
    ...consequenceItems(decision.consequencesBad, 'Bad'),
  ];
  const confirmation = escapeMarkdownBlock(decision.confirmation);
  return [
    '## Decision Outcome',
    ...outcomeOpening(ctx),
    '### Consequences',
    consequences.length > 0 ? bullets(consequences) : 'No consequences were recorded.',
    '### Confirmation',
    confirmation !== '' ? confirmation : 'No confirmation was recorded.',
  ];
}

type Verdict = 'Good' | 'Neutral' | 'Bad';

/** Upper third of the scale is good, lower third bad, the middle neutral (1–5: ≥ 4, ≤ 2). */
function verdict(median: number, scale: Scale): Verdict {
  const range = scale.max - scale.min;
  const epsilon = 1e-9;
  if (median >= scale.min + (2 * range) / 3 - epsilon) return 'Good';
  if (median <= scale.min + range / 3 + epsilon) return 'Bad';
  return 'Neutral';
}

function rationales(ctx: RecordContext, cell: CellStats): string[] {
  return cell.scores.flatMap((s) => {
    const text = escapeMarkdownInline(s.rationale ?? '');
    return text === ''
      ? []
      : [`${ctx.participantName(s.participantId)} gave ${formatScore(s.value)}: "${text}"`];
  });
}

function optionArguments(ctx: RecordContext, option: OptionSnapshot): string[] {
  if (ctx.latest === null) return ['Not scored yet.'];
  const { scale } = ctx.input;
  const cells = ctx.latest.consensus.cells;
  const order: Verdict[] = ['Good', 'Neutral', 'Bad'];
  const items: { verdict: Verdict; text: string }[] = [];
  const unscored: string[] = [];
  for (const criterion of ctx.board.criteria) {
    const cell = cells.find((c) => c.criterionId === criterion.id && c.optionId === option.id);
    if (cell === undefined || cell.n === 0 || cell.median === null || !Number.isFinite(cell.median)) {
      unscored.push(ctx.criterionName(criterion.id));
      continue;
    }
    const v = verdict(cell.median, scale);
    const details =
      cell.n >= 2
        ? `median of ${cell.n} scores from ${formatScore(cell.min)} to ${formatScore(cell.max)}; ${agreementPhrase(cell)}`
        : `${plural(cell.n, 'score', 'scores')}; ${agreementPhrase(cell)}`;
    const said = rationales(ctx, cell);
    items.push({
      verdict: v,
      text:
        `${v}, because it rates ${formatStat(cell.median)} of ${formatScore(scale.max)} on ` +
        `${ctx.criterionName(criterion.id)} (${details})${said.length > 0 ? ` — ${said.join('; ')}` : ''}`,
    });
  }
  items.sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict));
  const blocks: string[] = [];
  if (items.length > 0) blocks.push(bullets(items.map((i) => i.text)));
  if (unscored.length > 0)
    blocks.push(`Not scored in round ${ctx.latest.number} on: ${unscored.join(', ')}.`);
  return blocks;
}

function sourceLabel(ctx: RecordContext, sourceId: string): string {
  const source = ctx.board.sources.find((s) => s.id === sourceId);
  if (source === undefined) return 'an unknown source';
  const href = source.url === undefined ? null : safeHref(source.url);
  if (href === null) return escapeMarkdownInline(source.title) || 'Untitled source';
  return `[${linkLabel(source.title) || 'Untitled source'}](<${href}>)`;
}

/** In anonymous records an author who is a participant becomes "Participant N", anyone else "a participant". */
function authorLabel(ctx: RecordContext, authorName: string): string {
  if (!ctx.input.anonymous) return escapeMarkdownInline(authorName) || 'a participant';
  const key = normalizeInline(authorName).toLowerCase();
  const match = ctx.input.participants.find(
    (p) => key !== '' && normalizeInline(p.name).toLowerCase() === key,
  );
  return match === undefined ? 'a participant' : ctx.participantName(match.id);
}

function attribution(ctx: RecordContext, evidence: EvidenceSnapshot): string {
  const { origin } = evidence;
  switch (origin.type) {
    case 'source':
      return `source: ${sourceLabel(ctx, origin.sourceId)}`;
    case 'participant': {
      const author = `added by ${authorLabel(ctx, origin.authorName)}`;
      if (origin.url === undefined || origin.url.trim() === '') return author;
      const href = safeHref(origin.url);
      if (href === null) return `${author}, address (not a web link): ${escapeMarkdownInline(origin.url)}`;
      return `${author}, [${linkLabel(new URL(href).hostname) || 'link'}](<${href}>)`;
    }
    default:
      return 'unknown origin';
  }
}

function evidenceItem(ctx: RecordContext, criterionId: string, evidence: EvidenceSnapshot): string | null {
  const text = escapeMarkdownInline(evidence.text);
  if (text === '') return null;
  return `${ctx.criterionName(criterionId)}: ${text} (${attribution(ctx, evidence)})`;
}

function prosAndConsSection(ctx: RecordContext): string[] {
  const blocks = ['## Pros and Cons of the Options'];
  if (ctx.board.options.length === 0) blocks.push('No options were defined.');
  for (const option of ctx.board.options) {
    blocks.push(`### ${ctx.optionName(option.id)}`);
    const description = escapeMarkdownBlock(option.description);
    if (description !== '') blocks.push(description);
    blocks.push(...optionArguments(ctx, option));
    const evidence = ctx.board.criteria.flatMap((c) =>
      c.evidence.flatMap((e) => {
        const item = e.optionId === option.id ? evidenceItem(ctx, c.id, e) : null;
        return item === null ? [] : [item];
      }),
    );
    if (evidence.length > 0) blocks.push('Evidence:', bullets(evidence));
  }
  return blocks;
}

function matrixSubsection(ctx: RecordContext): string[] {
  const blocks = ['### Consensus matrix'];
  const { latest } = ctx;
  if (latest === null) return [...blocks, 'Nothing has been scored yet: no round has been revealed.'];
  const { consensus } = latest;
  blocks.push(
    `From round ${latest.number} (${escapeMarkdownInline(String(latest.mode))}), revealed ${formatTimestamp(latest.revealedAt)}, ` +
      `on a ${formatScore(ctx.input.scale.min)}–${formatScore(ctx.input.scale.max)} scale.`,
  );

  const optionIds = [
    ...ctx.board.options.map((o) => o.id),
    ...consensus.totals.map((t) => t.optionId).filter((id) => !ctx.board.options.some((o) => o.id === id)),
  ];
  blocks.push(
    table(
      ['Option', 'Weighted total', 'Coverage', 'Preferred by'],
      [false, true, true, true],
      optionIds.map((id) => {
        const total = totalOf(consensus, id);
        const name = id === consensus.leaderId ? `${ctx.optionName(id)} (leader)` : ctx.optionName(id);
        return [
          name,
          formatStat(total?.total),
          formatPercent(total?.coverage),
          preferenceCount(consensus, id),
        ];
      }),
    ),
  );
  if (consensus.leaderId !== null) {
    blocks.push(
      `Leader: ${quoted(ctx.optionName(consensus.leaderId))}, ahead of the next option by ${formatStat(consensus.margin)}` +
        (consensus.support === null
          ? '.'
          : `; ${formatPercent(consensus.support)} of participants with a preference prefer it.`),
    );
  } else {
    blocks.push(
      anyScored(consensus) ? 'No leader: the top options are tied.' : 'No leader: nothing was scored.',
    );
  }

  const cells = [...consensus.cells].sort(ctx.cellOrder);
  if (cells.length > 0) {
    blocks.push(
      table(
        ['Criterion', 'Option', 'Scores', 'Median', 'Spread (min–max)', 'SD', 'Agreement (r_wg)'],
        [false, false, true, true, true, true, false],
        cells.map((c) => [
          ctx.criterionName(c.criterionId),
          ctx.optionName(c.optionId),
          String(c.n),
          formatStat(c.median),
          c.n > 0 ? `${formatScore(c.min)}–${formatScore(c.max)}` : NO_VALUE,
          formatStat(c.sd),
          formatAgreement(c),
        ]),
      ),
    );
  }
  const bandOf = (d: { criterionId: string; optionId: string }) =>
    cells.find((c) => c.criterionId === d.criterionId && c.optionId === d.optionId)?.agreement;
  const disagreements = consensus.discussFirst.filter((d) => bandOf(d) === 'none' || bandOf(d) === 'weak');
  if (disagreements.length > 0) {
    const list = disagreements.map(
      (d) => `${ctx.criterionName(d.criterionId)} × ${ctx.optionName(d.optionId)} (${formatStat(d.rwg)})`,
    );
    blocks.push(`Weak or no agreement, least first: ${list.join(', ')}.`);
  } else if (consensus.discussFirst.length > 0) {
    blocks.push('Every cell with two or more scores reached at least moderate agreement.');
  }

  if (consensus.participants.length > 0) {
    blocks.push(
      table(
        ['Participant', 'Preferred option', ...optionIds.map((id) => ctx.optionName(id)), 'Scored'],
        [false, false, ...optionIds.map(() => true), true],
        sortedParticipants(ctx, consensus.participants).map((p) => [
          ctx.participantName(p.participantId),
          preferenceText(ctx, p),
          ...optionIds.map((id) => formatStat(p.totals.find((t) => t.optionId === id)?.total)),
          formatPercent(p.completion),
        ]),
      ),
    );
  }
  return blocks;
}

function sortedParticipants(ctx: RecordContext, list: ParticipantPreference[]): ParticipantPreference[] {
  const rank = new Map(ctx.input.participants.map((p, i) => [p.id, i]));
  return [...list].sort(
    (a, b) =>
      (rank.get(a.participantId) ?? Number.MAX_SAFE_INTEGER) -
      (rank.get(b.participantId) ?? Number.MAX_SAFE_INTEGER),
  );
}

function scoredNothing(p: ParticipantPreference): boolean {
  return p.totals.every((t) => t.total === null);
}

function preferenceText(ctx: RecordContext, p: ParticipantPreference): string {
  if (p.preferredOptionId !== null) return ctx.optionName(p.preferredOptionId);
  return scoredNothing(p) ? `${NO_VALUE} (no scores)` : `${NO_VALUE} (tie)`;
}

function roundsSubsection(ctx: RecordContext): string[] {
  const { rounds } = ctx.input;
  const blocks = ['### Rounds'];
  if (rounds.length === 0) return [...blocks, 'No round has been revealed yet.'];
  const leaderText = (c: ConsensusResult) =>
    c.leaderId !== null ? ctx.optionName(c.leaderId) : anyScored(c) ? `${NO_VALUE} (tie)` : NO_VALUE;
  const leaderPhrase = (c: ConsensusResult) =>
    c.leaderId !== null ? quoted(ctx.optionName(c.leaderId)) : anyScored(c) ? 'a tie' : 'no scores';
  blocks.push(
    table(
      ['Round', 'Mode', 'Revealed', 'Leader', 'Mean agreement', 'Change'],
      [true, false, false, false, true, true],
      rounds.map((round, i) => {
        const agreement = meanAgreement(round.consensus);
        const previous = i > 0 ? meanAgreement(rounds[i - 1]!.consensus) : null;
        const change =
          agreement !== null && previous !== null ? formatSigned(agreement - previous) : NO_VALUE;
        return [
          String(round.number),
          escapeMarkdownInline(String(round.mode)),
          formatTimestamp(round.revealedAt),
          leaderText(round.consensus),
          formatStat(agreement),
          change,
        ];
      }),
    ),
  );
  const changes: string[] = [];
  rounds.forEach((round, i) => {
    const before = i > 0 ? rounds[i - 1]! : null;
    if (before !== null && before.consensus.leaderId !== round.consensus.leaderId) {
      changes.push(
        `The lead changed from ${leaderPhrase(before.consensus)} in round ${before.number} to ` +
          `${leaderPhrase(round.consensus)} in round ${round.number}.`,
      );
    }
  });
  if (rounds.length === 1) {
    blocks.push('Only one round was revealed, so there is no movement to show.');
    return blocks;
  }
  blocks.push(...(changes.length > 0 ? [changes.join(' ')] : ['The leader did not change between rounds.']));

  // Every cell seen in any round, with its r_wg per round and the move since the previous round.
  const keyed = new Map<string, { criterionId: string; optionId: string }>();
  for (const round of rounds) {
    for (const c of round.consensus.cells) keyed.set(`${c.criterionId}\u0000${c.optionId}`, c);
  }
  const rwgIn = (round: RecordRound, cell: { criterionId: string; optionId: string }) =>
    round.consensus.cells.find((c) => c.criterionId === cell.criterionId && c.optionId === cell.optionId)
      ?.rwg ?? null;
  const last = rounds[rounds.length - 1]!;
  const previous = rounds[rounds.length - 2]!;
  blocks.push(
    `Agreement (r_wg) per cell in each round; the last column is the move from round ${previous.number} to round ${last.number}.`,
  );
  blocks.push(
    table(
      ['Criterion', 'Option', ...rounds.map((r) => `Round ${r.number}`), 'Change'],
      [false, false, ...rounds.map(() => true), true],
      [...keyed.values()].sort(ctx.cellOrder).map((cell) => {
        const now = rwgIn(last, cell);
        const before = rwgIn(previous, cell);
        return [
          ctx.criterionName(cell.criterionId),
          ctx.optionName(cell.optionId),
          ...rounds.map((r) => formatStat(rwgIn(r, cell))),
          now !== null && before !== null ? formatSigned(now - before) : NO_VALUE,
        ];
      }),
    ),
  );
  return blocks;
}

/** Criteria on which a dissenter scored their preferred option above the reference option. */
function dissentReasons(
  ctx: RecordContext,
  participantId: string,
  preferredId: string,
  referenceId: string,
): string[] {
  const cells = ctx.latest?.consensus.cells ?? [];
  const scoreOf = (criterionId: string, optionId: string) =>
    cells
      .find((c) => c.criterionId === criterionId && c.optionId === optionId)
      ?.scores.find((s) => s.participantId === participantId);
  return ctx.board.criteria.flatMap((criterion) => {
    const mine = scoreOf(criterion.id, preferredId);
    const theirs = scoreOf(criterion.id, referenceId);
    if (mine === undefined || theirs === undefined || mine.value <= theirs.value) return [];
    const side = (optionId: string, s: { value: number; rationale?: string | undefined }) => {
      const why = escapeMarkdownInline(s.rationale ?? '');
      return `${ctx.optionName(optionId)} ${formatScore(s.value)}${why === '' ? '' : ` ("${why}")`}`;
    };
    return [`${ctx.criterionName(criterion.id)}: ${side(preferredId, mine)} vs ${side(referenceId, theirs)}`];
  });
}

function dissentSubsection(ctx: RecordContext): string[] {
  const blocks = ['### Dissent'];
  const { latest, referenceId } = ctx;
  if (latest === null) return [...blocks, 'Nothing has been scored yet.'];
  if (referenceId === null)
    return [...blocks, 'No option leads or was chosen, so there is no dissent to report.'];
  const against = ctx.chosenId !== null ? 'the chosen option' : 'the leading option';
  const participants = sortedParticipants(ctx, latest.consensus.participants);
  const dissenters = participants.filter(
    (p) => p.preferredOptionId !== null && p.preferredOptionId !== referenceId,
  );
  const withPreference = participants.filter((p) => p.preferredOptionId !== null);
  const reference = quoted(ctx.optionName(referenceId));
  if (dissenters.length === 0) {
    blocks.push(
      withPreference.length > 0
        ? `Nobody preferred an option other than ${against} ${reference} in round ${latest.number}.`
        : `Nobody had a clear preference in round ${latest.number}.`,
    );
  } else {
    blocks.push(
      `Participants who preferred an option other than ${against} ${reference} in round ${latest.number}:`,
    );
    const items = dissenters.map((p) => {
      const preferred = p.preferredOptionId!;
      const totals = (id: string) => formatStat(p.totals.find((t) => t.optionId === id)?.total);
      const head =
        `${ctx.participantName(p.participantId)} preferred ${quoted(ctx.optionName(preferred))} ` +
        `(their weighted totals: ${totals(preferred)} vs ${totals(referenceId)} for ${reference})`;
      const reasons = dissentReasons(ctx, p.participantId, preferred, referenceId);
      return reasons.length === 0 ? head : `${head}:\n${reasons.map((r) => `  * ${r}`).join('\n')}`;
    });
    blocks.push(bullets(items));
  }
  const undecided = participants.filter((p) => p.preferredOptionId === null);
  if (undecided.length > 0) {
    const names = undecided.map(
      (p) => `${ctx.participantName(p.participantId)} (${scoredNothing(p) ? 'no scores' : 'tie'})`,
    );
    blocks.push(`No clear preference: ${names.join(', ')}.`);
  }
  return blocks;
}

function sensitivitySubsection(ctx: RecordContext): string[] {
  const blocks = ['### Sensitivity'];
  const { latest } = ctx;
  if (latest === null) return [...blocks, 'Nothing has been scored yet.'];
  const { consensus } = latest;
  if (consensus.leaderId === null) return [...blocks, 'No option leads, so there is no lead to change.'];
  const weights = new Map(ctx.board.criteria.map((c) => [c.id, c.weight]));
  // Most sensitive first, compared as displayed (2 decimals) so that floating-point noise cannot
  // reorder equal-looking rows; ties keep the board's criterion order.
  const size = (delta: number | null) =>
    delta === null || !Number.isFinite(delta) ? Number.POSITIVE_INFINITY : Math.round(Math.abs(delta) * 100);
  const rows = [...consensus.sensitivity].sort(
    (a, b) =>
      size(a.delta) - size(b.delta) ||
      ctx.cellOrder(
        { criterionId: a.criterionId, optionId: '' },
        { criterionId: b.criterionId, optionId: '' },
      ),
  );
  if (rows.length === 0) return [...blocks, 'No sensitivity was computed.'];
  blocks.push(
    `The smallest change of one criterion's weight (the others unchanged) that would make an option other than ` +
      `${quoted(ctx.optionName(consensus.leaderId))} lead in round ${latest.number}; most sensitive first.`,
  );
  blocks.push(
    table(
      ['Criterion', 'Weight', 'Change that changes the leader', 'New leader'],
      [false, true, false, false],
      rows.map((s) => {
        const weight = weights.get(s.criterionId);
        const change =
          s.delta === null || !Number.isFinite(s.delta)
            ? 'none: no weight change alone does'
            : `${formatSigned(s.delta)}${weight === undefined ? '' : ` (to ${formatStat(weight + s.delta)})`}`;
        return [
          ctx.criterionName(s.criterionId),
          weight === undefined ? NO_VALUE : formatWeight(weight),
          change,
          s.newLeaderId === null ? NO_VALUE : ctx.optionName(s.newLeaderId),
        ];
      }),
    ),
  );
  return blocks;
}

function sharedEvidenceSubsection(ctx: RecordContext): string[] {
  const items: string[] = [];
  for (const criterion of ctx.board.criteria) {
    for (const evidence of criterion.evidence) {
      const item = evidence.optionId === null ? evidenceItem(ctx, criterion.id, evidence) : null;
      if (item !== null) items.push(item);
    }
    const { contested } = criterion;
    if (contested !== null) {
      const summary = escapeMarkdownInline(contested.summary);
      const sides = contested.sides.map(
        (side) => `  * ${sourceLabel(ctx, side.sourceId)}: ${escapeMarkdownInline(side.claim) || NO_VALUE}`,
      );
      const head = `Sources disagree on ${ctx.criterionName(criterion.id)}${summary === '' ? '' : `: ${summary}`}`;
      items.push(sides.length > 0 ? `${head}\n${sides.join('\n')}` : head);
    }
  }
  return [
    '### Contested and comparative evidence',
    items.length > 0
      ? bullets(items)
      : 'No claims comparing the options and no contested points were recorded.',
  ];
}

function moreInformationSection(ctx: RecordContext): string[] {
  const { input } = ctx;
  const intro = [
    `Scores use a ${formatScore(input.scale.min)}–${formatScore(input.scale.max)} scale. Weighted totals are on the ` +
      'same scale, with the criteria weights normalized. Agreement is r_wg (James, Demaree & Wolf, 1984) with the ' +
      'bands of LeBreton & Senter (2008).',
  ];
  if (input.anonymous) intro.push('Participants are anonymized.');
  if (input.boardUrl !== null && input.boardUrl.trim() !== '') {
    const href = safeHref(input.boardUrl);
    intro.push(
      href === null
        ? `Board (not a web link): ${escapeMarkdownInline(input.boardUrl)}.`
        : `Board (read-only): <${href}>`,
    );
  }
  const notes = escapeMarkdownBlock(ctx.board.notes);
  const review = escapeMarkdownInline(ctx.board.decision.reviewDate);
  const sources = ctx.board.sources.map((s) => {
    const details = [escapeMarkdownInline(s.publisher ?? ''), escapeMarkdownInline(s.date ?? '')].filter(
      (d) => d !== '',
    );
    const label = sourceLabel(ctx, s.id);
    const url = s.url ?? '';
    const textUrl =
      url.trim() !== '' && safeHref(url) === null
        ? `, address (not a web link): ${escapeMarkdownInline(url)}`
        : '';
    return `${label}${details.length > 0 ? ` — ${details.join(', ')}` : ''}${textUrl}`;
  });
  return [
    '## More Information',
    intro.join(' '),
    ...matrixSubsection(ctx),
    ...roundsSubsection(ctx),
    ...dissentSubsection(ctx),
    ...sensitivitySubsection(ctx),
    ...sharedEvidenceSubsection(ctx),
    '### Discussion notes',
    notes !== '' ? notes : 'No discussion notes were recorded.',
    '### Review',
    review !== '' ? `Review this decision by ${review}.` : 'No review date was set.',
    '### Sources',
    sources.length > 0 ? bullets(sources) : 'No sources were cited.',
  ];
}

/**
 * Renders the decision record as Markdown in the MADR 4 layout: YAML front matter (`status`,
 * `date`, `decision-makers`, `consulted`, `informed`), the title, Context and Problem Statement,
 * Decision Drivers, Considered Options, Decision Outcome (Consequences, Confirmation), Pros and
 * Cons of the Options, and More Information (consensus matrix, rounds, dissent, sensitivity,
 * contested evidence, notes, review, sources). Deterministic for a given input; all user text is
 * escaped (see `escapeMarkdownInline`). Ends with a newline.
 */
export function renderDecisionRecord(input: DecisionRecordInput): string {
  const ctx = createContext(input);
  const blocks = [
    frontMatter(ctx),
    `# ${escapeMarkdownInline(input.board.title) || 'Untitled decision'}`,
    ...contextSection(ctx),
    ...driversSection(ctx),
    ...optionsSection(ctx),
    ...outcomeSection(ctx),
    ...prosAndConsSection(ctx),
    ...moreInformationSection(ctx),
  ];
  return `${blocks.join('\n\n')}\n`;
}
