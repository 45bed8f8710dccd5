'use client';

import { useMemo, useState } from 'react';
import type { BoardSnapshot } from '@/lib/board-types';
import { CLOSE_CALL_POINTS, isCloseCall, sensitivityNearestFirst } from '@/lib/consensus';
import type { CellStats, ConsensusResult } from '@/lib/consensus-types';
import type { ScoreView, SessionState } from '@/lib/protocol';
import { abstentionsByCell, type NamedParticipant, roundConsensus } from '@/lib/round-consensus';
import { BAND_STYLE, fmt } from './agreement';
import { OptionsChart } from './options-chart';

interface Computed {
  result: ConsensusResult;
  participants: NamedParticipant[];
}

function Movement({ now, before }: { now: CellStats; before: CellStats | undefined }) {
  if (!before || now.rwg === null || before.rwg === null) return null;
  const d = now.rwg - before.rwg;
  const dm = (now.mean ?? 0) - (before.mean ?? 0);
  if (Math.abs(d) < 0.005 && Math.abs(dm) < 0.005)
    return <span className="text-xs text-slate-600">unchanged since last round</span>;
  return (
    <span className="text-xs text-slate-600">
      {d >= 0 ? '▲' : '▼'} agreement {d >= 0 ? '+' : ''}
      {d.toFixed(2)}, mean {dm >= 0 ? '+' : ''}
      {dm.toFixed(1)} since last round
    </span>
  );
}

/** A weight in plain words: whole when it is (3, not 3.0), else one decimal. */
function weightWords(w: number): string {
  const rounded = Math.round(w * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
}

/** One cell of the matrix: mean (as in the totals), agreement, the numbers behind them and, on demand, the scores. */
function CellBody({
  s,
  before,
  who,
  abstained,
}: {
  s: CellStats;
  before: CellStats | undefined;
  who: Map<string, string>;
  /** Who abstained ("don't know") on this cell: left out of every number above. */
  abstained: ScoreView[];
}) {
  const band = BAND_STYLE[s.agreement];
  return (
    <>
      <div className="flex items-baseline justify-between gap-2">
        <span className="text-2xl font-bold tabular-nums" title="mean">
          {fmt(s.mean)}
        </span>
        <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ring-1 ${band.className}`}>
          {band.label}
        </span>
      </div>
      <div className="text-xs text-slate-600">
        mean (as in the totals) · median {fmt(s.median)} · spread {s.min ?? '–'}–{s.max ?? '–'} · sd{' '}
        {fmt(s.sd, 2)} · r<sub>wg</sub> {fmt(s.rwg, 2)} · n={s.n}
      </div>
      {abstained.length > 0 && (
        <div className="text-sm text-slate-700" data-testid="abstained">
          {abstained.length} abstained (don’t know)
        </div>
      )}
      <Movement now={s} before={before} />
      {s.scores.length + abstained.length > 0 && (
        <details className="mt-1 text-sm">
          <summary className="cursor-pointer text-slate-700">Scores</summary>
          <ul className="mt-1 space-y-0.5">
            {s.scores.map((x) => (
              <li key={x.participantId}>
                <strong className="tabular-nums">{x.value}</strong> {who.get(x.participantId) ?? 'Someone'}
                {x.rationale ? <span className="text-slate-600"> — “{x.rationale}”</span> : null}
              </li>
            ))}
            {abstained.map((x) => (
              <li key={x.participantId}>
                <strong>?</strong> {who.get(x.participantId) ?? 'Someone'} abstained
                {x.rationale ? <span className="text-slate-600"> — “{x.rationale}”</span> : null}
              </li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

/**
 * The consensus matrix of a round whose scores are visible: cells with scores, median,
 * mean, spread and agreement; weighted totals with leader and margin; preferences;
 * a "discuss first" list; weight sensitivity; and a chart.
 */
export function ConsensusMatrix({ board, session }: { board: BoardSnapshot; session: SessionState }) {
  const visible = session.rounds.filter((r) => r.scores !== null);
  const [picked, setPicked] = useState<string | null>(null);
  const round = visible.find((r) => r.id === picked) ?? visible.at(-1) ?? null;
  const previous = round ? visible.filter((r) => r.number < round.number).at(-1) : undefined;
  const scale = session.settings.scale;

  const computed: Computed | null = useMemo(
    () => (round ? roundConsensus(board, round, session.roster, scale) : null),
    [board, round, session.roster, scale],
  );
  const before: Computed | null = useMemo(
    () => (previous ? roundConsensus(board, previous, session.roster, scale) : null),
    [board, previous, session.roster, scale],
  );
  const abstentions = useMemo(() => abstentionsByCell(round?.scores ?? []), [round]);
  if (!round || !computed) return null;
  const { result, participants } = computed;
  const optionName = (id: string | null) => board.options.find((o) => o.id === id)?.name || 'Unnamed option';
  const criterionName = (id: string) => board.criteria.find((c) => c.id === id)?.name || 'Unnamed criterion';
  const who = new Map(participants.map((p) => [p.id, p.name]));
  const cell = (c: string, o: string) => result.cells.find((x) => x.criterionId === c && x.optionId === o);
  const prevCell = (c: string, o: string) =>
    before?.result.cells.find((x) => x.criterionId === c && x.optionId === o);
  const totalWeight = board.criteria.reduce((s, c) => s + c.weight, 0);
  // Every voter of the round counts in the denominator: a tie or a blank is "no clear preference".
  const voters = result.participants.length;
  const supporters = result.participants.filter((p) => p.preferredOptionId === result.leaderId).length;
  const undecided = result.participants.filter((p) => p.preferredOptionId === null).length;
  const closeCall = result.leaderId !== null && isCloseCall(result.margin);
  const previousLeader = before?.result.leaderId ?? null;
  const leaderChanged = before !== null && previousLeader !== result.leaderId;
  const steady = result.sensitivity.flatMap((x) => {
    const c = board.criteria.find((y) => y.id === x.criterionId);
    return c && (x.delta === null || x.newLeaderId === null) ? [c.name || 'Unnamed criterion'] : [];
  });
  // Only cells below strong agreement are worth discussing first.
  const discuss = result.discussFirst.filter((d) => {
    const band = cell(d.criterionId, d.optionId)?.agreement;
    return band === 'none' || band === 'weak' || band === 'moderate';
  });

  return (
    <section
      aria-labelledby="matrix-heading"
      className="space-y-5 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      data-testid="consensus-matrix"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="matrix-heading" className="text-2xl font-bold">
          Consensus matrix — round {round.number}
          {round.status === 'open' && (
            <span className="ml-2 text-base font-normal text-slate-500">(open round, live)</span>
          )}
        </h2>
        {visible.length > 1 && (
          <div role="tablist" aria-label="Rounds" className="flex gap-1">
            {visible.map((r) => (
              <button
                key={r.id}
                type="button"
                role="tab"
                aria-selected={r.id === round.id}
                onClick={() => setPicked(r.id)}
                className={`rounded-md px-3 py-1 text-sm font-semibold ${r.id === round.id ? 'bg-slate-800 text-white' : 'bg-slate-100 hover:bg-slate-200'}`}
              >
                Round {r.number}
              </button>
            ))}
          </div>
        )}
      </div>

      {/* Totals and leader */}
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3" data-testid="totals">
        {result.totals.map((t) => {
          const leader = t.optionId === result.leaderId;
          const clear = leader && !closeCall;
          return (
            <div
              key={t.optionId}
              className={`rounded-xl p-4 ring-2 ${clear ? 'bg-emerald-50 ring-emerald-500' : leader ? 'bg-amber-50 ring-amber-400' : 'bg-slate-50 ring-slate-200'}`}
            >
              <div className="text-lg font-semibold">{optionName(t.optionId)}</div>
              <div className="text-4xl font-bold tabular-nums">
                {fmt(t.total, 2)}
                <span className="text-base font-normal text-slate-500"> / {scale.max}</span>
              </div>
              <div className="text-sm">
                {leader && closeCall ? (
                  <strong className="text-amber-900">
                    Ahead by {fmt(result.margin, 2)}: too close to call
                  </strong>
                ) : leader ? (
                  <strong className="text-emerald-800">
                    Leading{result.margin !== null ? ` by ${fmt(result.margin, 2)}` : ''}
                  </strong>
                ) : (
                  'weighted mean'
                )}
                {t.coverage < 1 && ` · ${Math.round(t.coverage * 100)}% of the weight scored`}
              </div>
            </div>
          );
        })}
      </div>
      {closeCall && (
        <p
          className="rounded-md bg-amber-50 p-2 text-amber-950 ring-1 ring-amber-300"
          data-testid="close-call"
        >
          <strong>Too close to call:</strong> {optionName(result.leaderId)} is ahead by{' '}
          {fmt(result.margin, 2)}, less than {CLOSE_CALL_POINTS} of a point on the {scale.min}–{scale.max}{' '}
          scale — smaller than rounding one score.
        </p>
      )}
      {leaderChanged && (
        <p className="text-lg font-semibold" data-testid="leader-change">
          {previousLeader === null
            ? `No option led in round ${previous?.number}; `
            : `${optionName(previousLeader)} led in round ${previous?.number}; `}
          {result.leaderId === null ? 'now no option leads.' : `now ${optionName(result.leaderId)} leads.`}
        </p>
      )}
      <p className="text-lg" data-testid="support">
        {result.leaderId === null
          ? 'No option leads: the totals are tied or nothing is scored.'
          : voters > 0
            ? `${supporters} of ${voters} ${voters === 1 ? 'person prefers' : 'people prefer'} ${optionName(result.leaderId)}` +
              (undecided > 0
                ? `; ${undecided} ${undecided === 1 ? 'has' : 'have'} no clear preference (a tie or no scores).`
                : '.')
            : ''}
      </p>
      {round.orphanedScores > 0 && (
        <p className="rounded-md bg-amber-50 p-2 text-sm text-amber-900 ring-1 ring-amber-200">
          {round.orphanedScores} score{round.orphanedScores === 1 ? ' is' : 's are'} kept for criteria or
          options deleted since, and left out of this matrix.
        </p>
      )}

      {/* Discuss first */}
      {discuss.length > 0 && (
        <div>
          <h3 className="mb-1 text-lg font-semibold">Discuss first (below strong agreement)</h3>
          <ol className="list-decimal space-y-1 pl-6" data-testid="discuss-first">
            {discuss.slice(0, 5).map((d) => {
              const band = BAND_STYLE[cell(d.criterionId, d.optionId)?.agreement ?? 'not-enough-scores'];
              return (
                <li key={`${d.criterionId}-${d.optionId}`}>
                  <strong>{criterionName(d.criterionId)}</strong> × {optionName(d.optionId)} —{' '}
                  <span className={`rounded px-1.5 ring-1 ${band.className}`}>{band.label}</span> (r
                  <sub>wg</sub> {d.rwg.toFixed(2)})
                </li>
              );
            })}
          </ol>
        </div>
      )}

      {/* The matrix: a table with headers from tablets up; on phones, stacked per criterion. */}
      <section
        className="hidden overflow-x-auto md:block"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scroll region must be reachable by keyboard
        tabIndex={0}
        aria-label="Consensus matrix table"
      >
        <table className="w-full border-separate border-spacing-1 text-left">
          <caption className="sr-only">
            Mean score and agreement per criterion (rows) and option (columns), round {round.number}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="p-2">
                Criterion (weight)
              </th>
              {board.options.map((o) => (
                <th key={o.id} scope="col" className="p-2">
                  {o.name || 'Unnamed option'}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {board.criteria.map((c) => (
              <tr key={c.id}>
                <th scope="row" className="p-2 align-top font-semibold">
                  {c.name || 'Unnamed criterion'}
                  <div className="text-sm font-normal text-slate-600">
                    weight {c.weight} ({totalWeight > 0 ? Math.round((c.weight / totalWeight) * 100) : 0}%)
                  </div>
                </th>
                {board.options.map((o) => {
                  const s = cell(c.id, o.id);
                  if (!s) return <td key={o.id} />;
                  const abstained = abstentions.get(`${c.id}\u0000${o.id}`) ?? [];
                  return (
                    <td
                      key={o.id}
                      className="rounded-lg bg-slate-50 p-2 align-top"
                      data-testid={`matrix-cell-${c.id}-${o.id}`}
                    >
                      <CellBody s={s} before={prevCell(c.id, o.id)} who={who} abstained={abstained} />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <div className="space-y-3 md:hidden" data-testid="matrix-stacked">
        {board.criteria.map((c) => (
          <section key={c.id} aria-labelledby={`stack-${c.id}`} className="rounded-lg ring-1 ring-slate-200">
            <h3
              id={`stack-${c.id}`}
              className="rounded-t-lg bg-slate-100 px-3 py-2 font-semibold [overflow-wrap:anywhere]"
            >
              {c.name || 'Unnamed criterion'}{' '}
              <span className="text-sm font-normal text-slate-700">
                weight {c.weight} ({totalWeight > 0 ? Math.round((c.weight / totalWeight) * 100) : 0}%)
              </span>
            </h3>
            <ul className="divide-y divide-slate-200">
              {board.options.map((o) => {
                const s = cell(c.id, o.id);
                return (
                  <li key={o.id} className="px-3 py-2" data-testid={`matrix-card-${c.id}-${o.id}`}>
                    <div className="font-semibold">{o.name || 'Unnamed option'}</div>
                    {s ? (
                      <CellBody
                        s={s}
                        before={prevCell(c.id, o.id)}
                        who={who}
                        abstained={abstentions.get(`${c.id}\u0000${o.id}`) ?? []}
                      />
                    ) : (
                      'no scores'
                    )}
                  </li>
                );
              })}
            </ul>
          </section>
        ))}
      </div>

      <OptionsChart board={board} result={result} scale={scale} />

      {/* Names can be one long word: they wrap rather than push a phone's page sideways (A2). */}
      <div className="grid gap-6 [overflow-wrap:anywhere] md:grid-cols-2">
        <div>
          <h3 className="mb-1 text-lg font-semibold">Who prefers what</h3>
          <ul className="space-y-0.5" data-testid="preferences">
            {result.participants.map((p) => (
              <li key={p.participantId}>
                {who.get(p.participantId) ?? 'Someone'}:{' '}
                <strong>
                  {p.preferredOptionId ? optionName(p.preferredOptionId) : 'no preference (tie or no scores)'}
                </strong>
                {p.completion < 1 && (
                  <span className="text-slate-500"> · scored {Math.round(p.completion * 100)}%</span>
                )}
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h3 className="mb-1 text-lg font-semibold">How sensitive is the leader to the weights?</h3>
          <ul className="space-y-0.5" data-testid="sensitivity">
            {sensitivityNearestFirst(result.sensitivity).flatMap((s) => {
              const c = board.criteria.find((x) => x.id === s.criterionId);
              if (!c || s.delta === null || s.newLeaderId === null) return [];
              return [
                <li key={s.criterionId}>
                  If <strong>{c.name || 'Unnamed criterion'}</strong> weighed{' '}
                  {weightWords(c.weight + s.delta)} instead of {weightWords(c.weight)},{' '}
                  <strong>{optionName(s.newLeaderId)}</strong> would lead.
                </li>,
              ];
            })}
            {steady.length > 0 && (
              <li className="text-slate-600">
                No change of one weight alone changes the leader for: {steady.join(', ')}.
              </li>
            )}
          </ul>
        </div>
      </div>
    </section>
  );
}
