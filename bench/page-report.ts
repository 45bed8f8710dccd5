import os from 'node:os';
import { ms } from './lib/stats';
import { type BoardPageResult, FIRST_LOAD_JS_BUDGET_GZIP, INPUT_P95_TARGET_MS } from './scenarios/board-page';

export const PAGE_START = '<!-- page:start -->';
export const PAGE_END = '<!-- page:end -->';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** The board-page section of docs/BENCHMARKS.md (between its markers). */
export function renderPage(r: BoardPageResult, when: string, loadavg: number[]): string {
  const c = r.config;
  const js = r.firstLoadJs;
  const within = js.gzipBytes <= FIRST_LOAD_JS_BUDGET_GZIP;
  const responsive = r.inputToFrame.p95 <= INPUT_P95_TARGET_MS;
  return [
    PAGE_START,
    '## 6. The board page on the largest board, while others edit (issue 9)',
    '',
    `\`npm run bench -- --page\` started ${when.slice(0, 16).replace('T', ' ')} UTC on ${os.cpus().length} cores, load average ${loadavg.map((l) => l.toFixed(1)).join(' ')} at the start; ${r.chromium ? `Chromium ${r.chromium}` : 'Chromium'}, headless, the production build on 127.0.0.1.`,
    '',
    `A board of ${c.criteria} criteria × ${c.options} options (${c.criteria * c.options} cells, the most the product allows) in a blind round. One person in Chromium (1440×900) scores ${c.clicks} cells spread over the whole matrix by clicking (each scrolled to the middle of the screen 150 ms before its click, then 120 ms to the next), then types ${c.keys} characters into a rationale; meanwhile ${c.others} other people rename criteria (${c.editsPerSecond} document edits/s in all) and cast ballots (${c.ballotsPerSecond}/s in all), so the page keeps applying document updates and session patches. Over ${(r.windowMs / 1000).toFixed(0)} s, ${r.editsSent} edits and ${r.ballotsSent} ballots were sent.`,
    '',
    '"Input to next frame" is measured in the page: from the input event\'s timestamp to the task after the first animation frame after its handlers ran, i.e. when the page could show the reaction. The Event Timing API reports events of 16 ms or more (what Chromium\'s INP is made of).',
    '',
    '| measure | count | p50 | p95 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| input to next frame, all | ${r.inputToFrame.count} | ${ms(r.inputToFrame.p50)} ms | ${ms(r.inputToFrame.p95)} ms | ${ms(r.inputToFrame.max)} ms |`,
    `| — clicks on a score | ${r.clickToFrame.count} | ${ms(r.clickToFrame.p50)} ms | ${ms(r.clickToFrame.p95)} ms | ${ms(r.clickToFrame.max)} ms |`,
    `| — key presses in a rationale | ${r.keyToFrame.count} | ${ms(r.keyToFrame.p50)} ms | ${ms(r.keyToFrame.p95)} ms | ${ms(r.keyToFrame.max)} ms |`,
    `| Event Timing entries ≥ 16 ms | ${r.slowEvents.count} | ${ms(r.slowEvents.p50)} ms | ${ms(r.slowEvents.p95)} ms | ${ms(r.slowEvents.max)} ms |`,
    '',
    `Long tasks (≥ 50 ms) on the page's main thread over the window: ${r.longTasks.count}, ${ms(r.longTasks.totalMs, 0)} ms in all, the longest ${ms(r.longTasks.maxMs, 0)} ms.`,
    '',
    `**Target**: input to next frame p95 ≤ ${INPUT_P95_TARGET_MS} ms (RAIL's response budget) — ${responsive ? '**met**' : '**not met**'} in this run.`,
    '',
    'Before the page work of issue 9 (commit 43e801e: every update re-rendered every cell and laid out every row, and the browser bundle carried zod), this same scenario, run with this same bench on the same machine within the same hour (2026-11-29 21:30 UTC, load average about 9 from other work), gave: input to next frame p50 251 ms, p95 387 ms; clicks on a score p50 233 ms, p95 491 ms, max 845 ms; key presses p50 281 ms, p95 348 ms; 494 long tasks, 38.6 s in all; first-load JavaScript 308 KiB gzip.',
    '',
    `**First-load JavaScript of the board route**: ${js.files} scripts, ${kib(js.rawBytes)} as served, ${kib(js.gzipBytes)} gzip (each script gzipped alone; the server serves them uncompressed on 127.0.0.1). **Budget: ${kib(js.budgetGzipBytes)} gzip** (bench/scenarios/board-page.ts, about 20% above what the route loaded when the budget was set) — ${within ? '**within budget**' : '**over budget**'}.`,
    PAGE_END,
  ].join('\n');
}

export function splicePage(report: string, section: string): string {
  const a = report.indexOf(PAGE_START);
  const b = report.indexOf(PAGE_END);
  if (a >= 0 && b > a) return report.slice(0, a) + section + report.slice(b + PAGE_END.length);
  return `${report.trimEnd()}\n\n${section}\n`;
}
