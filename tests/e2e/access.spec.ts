import type { Browser, Page } from '@playwright/test';
import { expectAccessible } from './axe';
import { expect, joinAs, test } from './fixtures';

const PHONE = { width: 390, height: 844 };

interface Board {
  id: string;
  links: { participant: string; facilitator: string; viewer: string };
}

async function createBoard(url: string): Promise<Board> {
  const res = await fetch(`${url}/api/boards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ template: 'django-vs-node' }),
  });
  return (await res.json()) as Board;
}

async function personAt(browser: Browser, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  return context.newPage();
}

async function joined(browser: Browser, link: string, name: string, viewport?: typeof PHONE): Promise<Page> {
  const page = await personAt(browser, viewport);
  await page.goto(link);
  await joinAs(page, name);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  return page;
}

/** True when the page is wider than the screen (it would scroll sideways). */
const scrollsSideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

test('[A1][A2] axe finds nothing serious on home, join, a board before, during and after a round (desktop and phone), the viewer page and the error pages; nothing scrolls sideways on a phone', async ({
  browser,
  server,
}) => {
  const home = await personAt(browser, PHONE);
  await home.goto(server.url);
  await expect(home.getByRole('button', { name: 'Start from a blank board' })).toBeInViewport();
  await expectAccessible(home, 'home (phone)');
  await home.screenshot({ path: 'test-results/access/home-phone.png' });

  const board = await createBoard(server.url);
  const join = await personAt(browser);
  await join.goto(board.links.participant);
  await expect(join.getByLabel('Your display name')).toBeVisible();
  await expectAccessible(join, 'join form');

  const fran = await joined(browser, board.links.facilitator, 'Fran');
  const bob = await joined(browser, board.links.participant, 'Bob', PHONE);
  const cto = await personAt(browser);
  await cto.goto(board.links.viewer);
  await expect(cto.getByTestId('viewer-badge')).toBeVisible();
  await expect(cto.getByTestId('criteria-list')).toBeVisible();

  const check = async (state: string) => {
    await expectAccessible(fran, `board ${state} (facilitator, desktop)`);
    await expectAccessible(bob, `board ${state} (participant, phone)`);
    await expectAccessible(cto, `viewer page ${state}`);
    expect(await scrollsSideways(bob), `phone scrolls sideways ${state}`).toBe(false);
    await bob.screenshot({ path: `test-results/access/board-${state}-phone.png`, fullPage: true });
    await fran.screenshot({ path: `test-results/access/board-${state}-desktop.png` });
  };

  // An opened evidence panel too (its content is drawn only when opened).
  await fran.getByTestId('evidence-performance').locator('summary').click();
  await expect(fran.getByTestId('evidence-performance')).toContainText('From participants');
  await check('before-round');

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(bob.getByTestId('scoring-bar')).toBeVisible();
  await bob.getByTestId('score-cell').first().getByText('4', { exact: true }).click();
  await expect(bob.getByTestId('scoring-progress')).toContainText('1/24');
  await check('during-round');
  await bob.getByRole('button', { name: 'One at a time' }).click();
  await expect(bob.getByTestId('scoring-focus')).toBeVisible();
  await expectAccessible(bob, 'scoring one criterion at a time (phone)');
  expect(await scrollsSideways(bob)).toBe(false);
  await bob.screenshot({ path: 'test-results/access/scoring-focus-phone.png' });

  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(bob.getByTestId('consensus-matrix')).toBeVisible();
  await expect(cto.getByTestId('consensus-matrix')).toBeVisible();
  // On the phone the results stack per criterion; the table is for wider screens.
  await expect(bob.getByTestId('matrix-stacked')).toBeVisible();
  await expect(bob.getByTestId('matrix-card-performance-django')).toContainText('4.0');
  await check('after-round');
  await bob.getByTestId('matrix-stacked').scrollIntoViewIfNeeded();
  await bob.screenshot({ path: 'test-results/access/matrix-phone.png' });
  await bob.getByTestId('options-chart').scrollIntoViewIfNeeded();
  await bob.screenshot({ path: 'test-results/access/chart-phone.png' });

  // Error pages: an unknown board, an unknown viewer key, an unknown address.
  const lost = await personAt(browser, PHONE);
  // A bad board link says so before asking for a name (issue 11).
  await lost.goto(`${server.url}/b/AAAAAAAAAAAAAAAAAAAAAA`);
  await expect(lost.getByRole('heading', { name: 'No board at this link' })).toBeVisible();
  await expectAccessible(lost, 'unknown board');
  await lost.goto(`${server.url}/v/AAAAAAAAAAAAAAAAAAAAAA`);
  await expect(lost.getByRole('heading', { name: 'Cannot open this board' })).toBeVisible();
  await expectAccessible(lost, 'unknown viewer key');
  await lost.goto(`${server.url}/no-such-page`);
  await expect(lost.getByText('404')).toBeVisible();
  await expectAccessible(lost, 'not found');
});

test('[A3][A4] keyboard only: the skip link leads to scoring, n goes to the next unscored cell, a whole round takes one Tab; Enter keeps the focus in a rationale; rounds are announced; the matrix is a table with headers', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  const fran = await joined(browser, board.links.facilitator, 'Fran');
  const alice = await joined(browser, board.links.participant, 'Alice');

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(alice.getByTestId('announcer')).toContainText('Round 1 started');
  await expect(alice.getByTestId('scoring-progress')).toHaveText(/0\/24/);
  // The timer is announced, and the sticky bar shows it next to the progress ("0/24 · 0:59").
  await fran.getByRole('button', { name: '1-min timer' }).click();
  await expect(alice.getByTestId('announcer')).toContainText('Timer started: 1 minute left.');
  await expect(alice.getByTestId('scoring-progress')).toHaveText(/^Scored 0\/24 · time left [01]:\d\d$/);

  // Options, criteria and weights are frozen during a round: their controls are gone.
  await expect(alice.getByLabel('Weight of Performance')).toHaveCount(0);
  await expect(alice.getByRole('button', { name: 'Move Performance down' })).toHaveCount(0);
  await expect(alice.getByRole('button', { name: '+ Criterion' })).toHaveCount(0);

  // The first Tab of the page is the skip link; Enter lands on the first score.
  await alice.locator('body').focus();
  await alice.keyboard.press('Tab');
  await expect(alice.getByRole('button', { name: 'Skip to scoring' })).toBeFocused();
  await alice.keyboard.press('Enter');
  await expect(alice.getByRole('radio', { name: '1 (poor)' }).first()).toBeFocused();

  for (let i = 1; i <= 24; i++) {
    await alice.keyboard.press('Space'); // → 1
    await alice.keyboard.press('ArrowRight');
    await alice.keyboard.press('ArrowRight'); // → 3
    await expect(alice.locator('input[type=radio]:focus')).toHaveValue('3');
    await expect(alice.getByTestId('scoring-progress')).toHaveText(new RegExp(`^Scored ${i}/24`));
    if (i < 24) await alice.keyboard.press('n');
  }
  await expect(alice.getByRole('button', { name: 'All scored ✓' })).toBeVisible();

  // Tab from the last score reaches its rationale; Enter saves it and the focus stays there.
  await alice.keyboard.press('Tab');
  const rationale = alice.getByLabel('Rationale for Node.js on Cost');
  await expect(rationale).toBeFocused();
  await alice.keyboard.type('hosting is cheap');
  await alice.keyboard.press('Enter');
  await expect(rationale).toBeFocused();
  await expect(fran.getByTestId('progress-list')).toContainText('Alice finished');

  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(alice.getByTestId('announcer')).toContainText('Round 1 revealed');
  const table = alice.getByRole('table');
  await expect(table.getByRole('columnheader', { name: 'Node.js' })).toBeVisible();
  await expect(table.getByRole('rowheader', { name: /Performance/ })).toBeVisible();
  const cost = alice.getByTestId('matrix-cell-cost-node');
  await cost.getByText('Scores', { exact: true }).click();
  await expect(cost).toContainText('hosting is cheap');
});

test('[A5][A6] flaky Wi-Fi: a phone says Offline at once, the facilitator sees it away, a score given offline is sent on reconnect, and one the reveal overtook is named as not counted', async ({
  browser,
  server,
}) => {
  const board = await createBoard(server.url);
  const fran = await joined(browser, board.links.facilitator, 'Fran');
  const bob = await joined(browser, board.links.participant, 'Bob', PHONE);
  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(bob.getByTestId('scoring-bar')).toBeVisible();

  await bob.context().setOffline(true);
  await expect(bob.getByTestId('connection-status')).toHaveAttribute('data-status', 'offline');
  await expect(bob.getByTestId('connection-status')).toHaveText('Offline');
  await expect(bob.getByTestId('announcer')).toContainText('Offline');
  await expect(fran.getByTestId('away-list')).toContainText('Bob');

  // A score tapped offline is kept on the device, visibly, and counts in the progress.
  const perfNode = bob.getByTestId('cell-performance-node');
  await perfNode.getByText('4', { exact: true }).click();
  await expect(perfNode.getByTestId('score-queued')).toBeVisible();
  await expect(bob.getByTestId('scoring-progress')).toHaveText(/1\/24/);

  await bob.context().setOffline(false);
  await expect(bob.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  // Sent and acknowledged: no longer waiting, and the server's copy says 4.
  await expect(perfNode.getByTestId('score-queued')).toHaveCount(0);
  await expect(perfNode.getByRole('radio', { name: '4' })).toBeChecked();
  await expect(fran.getByTestId('progress-list')).toContainText('Bob 1/24');

  // Offline again; the facilitator reveals before Bob is back.
  await bob.context().setOffline(true);
  await expect(bob.getByTestId('connection-status')).toHaveAttribute('data-status', 'offline');
  const secDjango = bob.getByTestId('cell-security-django');
  await secDjango.getByText('2', { exact: true }).click();
  await expect(secDjango.getByTestId('score-queued')).toBeVisible();
  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(fran.getByTestId('consensus-matrix')).toBeVisible();

  await bob.context().setOffline(false);
  await expect(bob.getByTestId('not-counted')).toContainText(
    'Not counted: your score 2 for Django on Security (round 1) — the round was revealed before you reconnected.',
  );
  // The score that was sent counts; the one that was not does not.
  await expect(bob.getByTestId('matrix-card-performance-node')).toContainText('4.0');
  await expect(bob.getByTestId('matrix-card-security-django')).toContainText('n=0');
});
