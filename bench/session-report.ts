import { TARGETS } from './params';
import type { PhaseResult, SessionResult } from './scenarios/session';

export const SESSION_START = '<!-- session:start -->';
export const SESSION_END = '<!-- session:end -->';

const f = (v: number, d = 1) =>
  Number.isFinite(v) ? v.toFixed(d) : v === Number.POSITIVE_INFINITY ? 'lost' : 'n/a';
const met = (ok: boolean) => (ok ? 'met' : '**not met**');

function row(label: string, r: SessionResult, p: PhaseResult): string {
  return `| ${label} | ${r.config.boards} × ${r.config.participants} | ${p.ballots} | ${f(p.ack.p50)} | ${f(p.ack.p95)} | ${f(p.ack.max)} | ${f(p.cpuPerBallotMs, 2)} | ${f(p.cpuPerBallotAboveIdleMs, 2)} (idle ${f(p.idleCpuPct, 0)} %) | ${f((p.serverCpuSec / p.elapsedMs) * 1e5, 0)} % | ${f(p.machineBusyPct, 0)} % | ${p.errors} |`;
}

/** The session section of docs/BENCHMARKS.md, between its markers. */
export function renderSession(results: SessionResult[], when: string, loadavg: number[]): string {
  const lines = [
    SESSION_START,
    '## Session channel: a 100-person workshop (issue 9)',
    '',
    `Run ${when}; load average before the run ${loadavg.map((x) => x.toFixed(2)).join(' / ')} (the machine is shared with other work).`,
    'Our server in its own process; every person a socket.io-client socket in one of the bench’s worker threads.',
    'Each board: the default template (12 criteria × 2 options), the facilitator spectating. Round 1: every person',
    'scores all 24 cells, paced so a board gets the stated ballots per second (the product limits a board to 40',
    'commands/s); the facilitator reveals; round 2: each person changes one score. CPU is the server process’s',
    'user + system time over the phase divided by its ballots (so it includes every broadcast the ballots caused);',
    '"above idle" subtracts what the server used with the same connections and no commands (sampled 2 s before the phase).',
    '',
    '| phase | boards × people | ballots | ack p50 ms | ack p95 ms | ack max ms | server CPU ms/ballot | above idle | server busy | machine busy | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(row('round 1 (blind)', r, r.round1), row('round 2 (one change each)', r, r.round2));
  }
  lines.push(
    '',
    '| boards × people | reveal reaches everyone: p50 ms | max ms | facilitator’s reveal ack ms | server CPU meanwhile ms |',
    '| ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of results) {
    lines.push(
      `| ${r.config.boards} × ${r.config.participants} | ${f(r.reveal.p50, 0)} | ${f(r.reveal.max, 0)} | ${f(r.revealAckMaxMs, 0)} | ${f(r.revealServerCpuMs, 0)} |`,
    );
  }
  lines.push('', '| target (issue 9) | result |', '| --- | --- |');
  for (const r of results) {
    const label = `${r.config.boards} × ${r.config.participants}`;
    const p95 = Math.max(r.round1.ack.p95, r.round2.ack.p95);
    // As measured, idle cost included (the stricter reading).
    const cpu = Math.max(r.round1.cpuPerBallotMs, r.round2.cpuPerBallotMs);
    lines.push(
      `| ${label}: ballot ack p95 ≤ ${TARGETS.sessionAckP95Ms} ms | ${met(p95 <= TARGETS.sessionAckP95Ms)} (${f(p95)} ms) |`,
      `| ${label}: the reveal reaches all in ≤ ${TARGETS.sessionRevealMs} ms | ${met(r.reveal.max <= TARGETS.sessionRevealMs)} (${f(r.reveal.max, 0)} ms) |`,
      `| ${label}: server CPU per ballot ≤ ${TARGETS.sessionCpuPerBallotMs} ms | ${met(cpu <= TARGETS.sessionCpuPerBallotMs)} (${f(cpu, 2)} ms) |`,
    );
  }
  const busy = Math.max(...results.flatMap((r) => [r.round1.machineBusyPct, r.round2.machineBusyPct]));
  if (busy >= 180) {
    lines.push(
      '',
      `The machine was saturated during the run (busy up to ${f(busy, 0)} %, 100 % per core: other work on this shared`,
      'machine, the load generator and the server): latencies then include waiting for a core, and CPU per ballot',
      'includes the kernel’s loopback TCP work for the receivers. Latencies are measured in the load generator: where',
      '"server busy" is far below 100 % while latencies are long, the clients (their worker threads parsing every',
      'patch, on cores shared with everything else) are what waited. Rerun on a quiet machine for the server alone.',
    );
  }
  lines.push('', SESSION_END);
  return lines.join('\n');
}

/** Puts the section into the report, replacing the previous one (or appending it). */
export function spliceSession(report: string, section: string): string {
  const a = report.indexOf(SESSION_START);
  const b = report.indexOf(SESSION_END);
  if (a >= 0 && b > a) return report.slice(0, a) + section + report.slice(b + SESSION_END.length);
  return `${report.trimEnd()}\n\n${section}\n`;
}
