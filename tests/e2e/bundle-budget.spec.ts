import { gzipSync } from 'node:zlib';
import { FIRST_LOAD_JS_BUDGET_GZIP } from '../../bench/scenarios/board-page';
import { expect, joinAs, newBoard, test } from './fixtures';

test('[A7] the board page loads no more JavaScript than its budget', async ({ page, server }) => {
  const board = await newBoard(server.url);
  const scripts = new Map<string, Promise<number>>();
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'script') return;
    scripts.set(
      r.url(),
      r.body().then(
        (b) => gzipSync(b).length,
        () => 0,
      ),
    );
  });
  await page.goto(board.links.participant);
  await joinAs(page, 'Budget');
  await expect(page.getByTestId('connection-status')).toHaveText(/Connected/);
  await page.waitForLoadState('networkidle');
  const sizes = await Promise.all(scripts.values());
  const total = sizes.reduce((a, b) => a + b, 0);
  expect(sizes.length).toBeGreaterThan(0);
  expect(
    total,
    `first-load JS ${(total / 1024).toFixed(0)} KiB gzip over the ${FIRST_LOAD_JS_BUDGET_GZIP / 1024} KiB budget: ${[...scripts.keys()].join(', ')}`,
  ).toBeLessThanOrEqual(FIRST_LOAD_JS_BUDGET_GZIP);
});
