/**
 * The decision record's "More Information" section: the consensus matrix of the latest round, how
 * agreement moved across rounds, dissent from the chosen (or leading) option, the sensitivity of
 * the lead to the criteria weights, contested and comparative evidence, notes, review date and
 * sources.
 */

import { CLOSE_CALL_POINTS, isCloseCall } from './consensus';
import type { ConsensusResult, ParticipantPreference } from './consensus-types';
import {
  anyScored,
  contestedSideItem,
  evidenceItem,
  meanAgreement,
  preferenceCount,
  type RecordContext,
  type RecordRound,
  sourceLabel,
  totalOf,
} from './decision-record-context';
import {
  bullets,
  formatAgreement,
  formatPercent,
  formatScore,
  formatSigned,
  formatStat,
  formatTimestamp,
  formatWeight,
  NO_VALUE,
  quoted,
  table,
} from './decision-record-format';
import { escapeMarkdownBlock, escapeMarkdownInline, safeHref } from './markdown-escape';

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
        (isCloseCall(consensus.margin)
          ? ` — too close to call (under ${CLOSE_CALL_POINTS} of a point on the scale)`
          : '') +
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

/**
 * Every round's reasons — rationales and abstentions — per cell, so a second round does not
 * erase what people said in the first. Anonymous rounds (and every round on a board that hides
 * names) say "a participant": pseudonyms belong to one round alone and are never matched to names.
 */
function reasonsSubsection(ctx: RecordContext): string[] {
  const { rounds } = ctx.input;
  const names = new Map<string, string>();
  for (const p of ctx.input.participants) {
    if (!names.has(p.id)) names.set(p.id, escapeMarkdownInline(p.name) || 'A participant');
  }
  const blocks: string[] = [];
  for (const round of rounds) {
    const hidden = round.anonymous === true || ctx.input.anonymous;
    const who = (id: string) => (hidden ? 'A participant' : (names.get(id) ?? 'A former participant'));
    const said = new Map<string, { cell: { criterionId: string; optionId: string }; items: string[] }>();
    const add = (cell: { criterionId: string; optionId: string }, text: string) => {
      const key = `${cell.criterionId}\u0000${cell.optionId}`;
      const entry = said.get(key) ?? { cell, items: [] };
      entry.items.push(text);
      said.set(key, entry);
    };
    for (const cell of round.consensus.cells) {
      for (const s of cell.scores) {
        const why = escapeMarkdownInline(s.rationale ?? '');
        if (why !== '') add(cell, `${who(s.participantId)} gave ${formatScore(s.value)} ("${why}")`);
      }
    }
    for (const a of round.abstentions ?? []) {
      const why = escapeMarkdownInline(a.rationale ?? '');
      add(a, `${who(a.participantId)} abstained${why === '' ? '' : ` ("${why}")`}`);
    }
    if (said.size === 0) continue;
    blocks.push(
      `Round ${round.number}:`,
      bullets(
        [...said.values()]
          .sort((a, b) => ctx.cellOrder(a.cell, b.cell))
          .map(
            ({ cell, items }) =>
              `${ctx.criterionName(cell.criterionId)}, ${ctx.optionName(cell.optionId)}: ${items.join('; ')}`,
          ),
      ),
    );
  }
  return [
    '### Reasons given, round by round',
    ...(blocks.length > 0 ? blocks : ['Nobody gave a reason or abstained in a revealed round.']),
  ];
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
      const sides = contested.sides.map((side) => `  * ${contestedSideItem(ctx, side)}`);
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

/** The "More Information" section with its subsections, as Markdown blocks. */
export function moreInformationSection(ctx: RecordContext): string[] {
  const { input } = ctx;
  const intro = [
    `Scores use a ${formatScore(input.scale.min)}–${formatScore(input.scale.max)} scale. Weighted totals are on the ` +
      'same scale, with the criteria weights normalized. Agreement is r_wg (James, Demaree & Wolf, 1984) with the ' +
      'bands of LeBreton & Senter (2008).',
  ];
  if (ctx.latest?.anonymous === true) {
    intro.push(
      'Participants are anonymized.',
      `Round ${ctx.latest.number} was anonymous: its scores carry pseudonyms drawn for that round alone.`,
    );
  } else if (input.anonymous) intro.push('Evidence authors are not named.');
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
    ...reasonsSubsection(ctx),
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
