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
 *
 * Layout: this module is the public entry (file name, front matter and the sections up to the
 * Decision Outcome); the escaping lives in `markdown-escape.ts`, the shared context and names in
 * `decision-record-context.ts`, number and table formatting in `decision-record-format.ts`, and
 * the two long sections in `decision-record-pros-cons.ts` and
 * `decision-record-more-information.ts`.
 */

import { DECISION_STATUSES } from './board-types';
import { isCloseCall } from './consensus';
import {
  anyScored,
  createContext,
  type DecisionRecordInput,
  meanAgreement,
  otherTotals,
  preferenceCount,
  type RecordContext,
  totalOf,
} from './decision-record-context';
import {
  bullets,
  formatPercent,
  formatScore,
  formatStat,
  formatWeight,
  NO_VALUE,
  quoted,
} from './decision-record-format';
import { moreInformationSection } from './decision-record-more-information';
import { prosAndConsSection } from './decision-record-pros-cons';
import {
  escapeMarkdownBlock,
  escapeMarkdownInline,
  joinLines,
  LINE_BREAK,
  yamlString,
} from './markdown-escape';

export type { DecisionRecordInput, RecordRound } from './decision-record-context';
export { escapeMarkdownBlock, escapeMarkdownInline, escapeTableCell } from './markdown-escape';

/** Longest file name `decisionRecordFileName` returns, extension included. */
export const MAX_RECORD_FILE_NAME_CHARS = 80;

const FILE_EXTENSION = '.md';
const ISO_DATE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$/;

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
// Sections up to the Decision Outcome (Pros and Cons and More Information have their own modules)
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
      consensus.margin !== null
        ? `, ${formatStat(consensus.margin)} ahead of the next option${isCloseCall(consensus.margin) ? ' (too close to call)' : ''}`
        : '';
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
