/**
 * The decision record's "Pros and Cons of the Options" section: for each option, a Good / Neutral
 * / Bad argument per criterion from the latest round's medians (with the rationales people gave),
 * then the evidence recorded for that option.
 */
import type { OptionSnapshot } from './board-types';
import type { CellStats, Scale } from './consensus-types';
import { evidenceItem, type RecordContext } from './decision-record-context';
import { agreementPhrase, bullets, formatScore, formatStat, plural } from './decision-record-format';
import { escapeMarkdownBlock, escapeMarkdownInline } from './markdown-escape';

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

/** The "Pros and Cons of the Options" section, as Markdown blocks. */
export function prosAndConsSection(ctx: RecordContext): string[] {
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
