import type { Page } from '@playwright/test';
import { expectAccessible } from './axe';
import { expect, joinAs, newBoard, person, test } from './fixtures';

/** The README's screenshots are refreshed with UPDATE_DOCS_SCREENSHOTS=1; other runs leave docs/ alone. */
const SHOTS = process.env.UPDATE_DOCS_SCREENSHOTS ? 'docs' : 'test-results';

async function scoreAll(page: Page, pick: (i: number) => number) {
  const cells = page.getByTestId('score-cell');
  await expect(cells).toHaveCount(24);
  for (let i = 0; i < 24; i++)
    await cells
      .nth(i)
      .getByText(String(pick(i)), { exact: true })
      .click();
}

test('[P2][R1][A1] the presenter view, opened from the share panel, shows progress during a blind round and then the matrix, with no private link, no edit control and no blind pick', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const fran = await person(browser);
  await fran.setViewportSize({ width: 1440, height: 900 });
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const alice = await person(browser);
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');

  const href = await fran.getByTestId('presenter-link').getAttribute('href');
  expect(href).toMatch(/\/v\/[A-Za-z0-9_-]{22}\/present$/);
  const wall = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const presenter = await wall.newPage();
  await presenter.goto(href!);
  await expect(presenter.getByText('Waiting for the first round')).toBeVisible();

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(presenter.getByTestId('presenter-progress')).toContainText('0 of 2 finished');
  await scoreAll(fran, (i) => (i % 3) + 3);
  await expect(presenter.getByTestId('presenter-progress')).toContainText('1 of 2 finished');
  await presenter.screenshot({ path: `${SHOTS}/presenter-blind-round.png` });
  await expectAccessible(presenter, 'presenter view, blind round');
  await scoreAll(alice, (i) => (i % 2 === 0 ? 5 : 2));
  await expect(presenter.getByTestId('presenter-progress')).toContainText('2 of 2 finished');
  // Sealed: nothing on the wall carries a score, nor any private link or control.
  const html = await presenter.content();
  expect(html).not.toContain(board.facilitatorKey);
  await expect(presenter.locator('input, textarea, select')).toHaveCount(0);

  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(presenter.getByTestId('presenter-matrix')).toContainText('Round 1 revealed');
  await expect(presenter.getByTestId('presenter-matrix')).toContainText('people prefer');
  await expect(presenter.locator('input, textarea, select')).toHaveCount(0);
  expect(await presenter.content()).not.toContain(board.facilitatorKey);
  await presenter.getByRole('button', { name: 'Dismiss' }).click();
  await presenter.screenshot({ path: `${SHOTS}/presenter-revealed.png`, fullPage: false });
  await expectAccessible(presenter, 'presenter view, revealed');
  await fran.getByRole('button', { name: 'Dismiss' }).click();
  await fran.locator('#matrix-heading').scrollIntoViewIfNeeded();
  await fran.screenshot({ path: `${SHOTS}/revealed-round.png` });
  await wall.close();
});
