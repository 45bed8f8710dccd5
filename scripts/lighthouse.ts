/**
 * `npm run lighthouse`: Lighthouse (mobile and desktop presets) on a board page as a joined
 * participant sees it, with the same Chromium the browser tests use. Writes the scores into
 * docs/BENCHMARKS.md between the `lighthouse` markers (a measurement, not a test: issue 12 asks
 * for accessibility ≥ 95 and performance ≥ 90). Other runs of the bench keep that section.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse, { desktopConfig } from 'lighthouse';
import { startServerProcess } from '../tests/helpers/server-process';
import { buildIfStale } from './build-if-stale';

const ROOT = path.resolve(import.meta.dirname, '..');
const REPORT = path.join(ROOT, 'docs/BENCHMARKS.md');
export const LIGHTHOUSE_START = '<!-- lighthouse:start -->';
export const LIGHTHOUSE_END = '<!-- lighthouse:end -->';
const CHROME_FLAGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const CATEGORIES = ['performance', 'accessibility', 'best-practices'] as const;

buildIfStale();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'decision-board-lighthouse-'));
const server = await startServerProcess({ port: 30000 + Math.floor(Math.random() * 20000), dataDir });
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  chromeFlags: CHROME_FLAGS,
});
try {
  const res = await fetch(`${server.url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'django-vs-node' }),
  });
  const board = (await res.json()) as { links: { participant: string } };

  // Join once in this browser profile, so Lighthouse measures the board, not the join form.
  const cdp = await chromium.connectOverCDP(`http://127.0.0.1:${chrome.port}`);
  const page = await cdp.contexts()[0]!.newPage();
  await page.goto(board.links.participant);
  await page.getByLabel('Your display name').fill('Lighthouse');
  await page.getByRole('button', { name: 'Join' }).click();
  await page.getByTestId('connection-status').filter({ hasText: 'Connected' }).waitFor();
  await page.close();
  await cdp.close();

  const rows: string[] = [];
  for (const [preset, config] of [
    ['mobile (simulated slow 4G, 4× CPU slowdown)', undefined],
    ['desktop', desktopConfig],
  ] as const) {
    const result = await lighthouse(
      board.links.participant,
      { port: chrome.port, onlyCategories: [...CATEGORIES], disableStorageReset: true, logLevel: 'error' },
      config,
    );
    if (!result) throw new Error('Lighthouse returned nothing');
    const { categories, audits } = result.lhr;
    const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
    const metric = (id: string) => audits[id]?.displayValue ?? '–';
    rows.push(
      `| ${preset} | ${score('performance')} | ${score('accessibility')} | ${score('best-practices')} | ${metric('first-contentful-paint')} | ${metric('largest-contentful-paint')} | ${metric('total-blocking-time')} | ${metric('cumulative-layout-shift')} |`,
    );
    console.log(rows.at(-1));
    const bootup = audits['bootup-time']?.details as
      | { items?: { url: string; scripting: number }[] }
      | undefined;
    for (const item of (bootup?.items ?? []).slice(0, 5))
      console.log(`  ${Math.round(item.scripting)} ms  ${item.url}`);
  }

  const section = [
    LIGHTHOUSE_START,
    '## 5. Lighthouse — the board page',
    '',
    `\`npm run lighthouse\` on ${new Date().toISOString().slice(0, 10)}: Lighthouse ${lighthouseVersion()} with ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'}, the default board (12 criteria × 2 options) as a joined participant, served by the production build on 127.0.0.1. Targets (issue 12): accessibility ≥ 95, performance ≥ 90.`,
    '',
    '| preset | performance | accessibility | best practices | FCP | LCP | TBT | CLS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    LIGHTHOUSE_END,
  ].join('\n');
  const current = fs.readFileSync(REPORT, 'utf8');
  const start = current.indexOf(LIGHTHOUSE_START);
  const end = current.indexOf(LIGHTHOUSE_END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + LIGHTHOUSE_END.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(REPORT, next);
} finally {
  chrome.kill();
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

function lighthouseVersion(): string {
  const pkg = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'node_modules/lighthouse/package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return pkg.version;
}
