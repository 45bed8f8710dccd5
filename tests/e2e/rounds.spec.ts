import type { Page } from '@playwright/test';
import { expect, joinAs, newBoard, person, test } from './fixtures';

/** Scores every cell of the board by clicking, with `pick(i)` for the i-th cell. */
async function scoreEverything(page: Page, pick: (i: number) => number) {
  const cells = page.getByTestId('score-cell');
  // The round reaches each page a moment after the facilitator starts it: wait for its cells.
  await expect(cells).toHaveCount(24);
  const n = await cells.count();
  for (let i = 0; i < n; i++) {
    await cells
      .nth(i)
      .getByText(String(pick(i)), { exact: true })
      .click();
  }
}

test('[P1][C1] three people score a blind round, the facilitator reveals, and all three see the same matrix', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);

  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const alice = await person(browser);
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  const bob = await person(browser);
  await bob.setViewportSize({ width: 390, height: 844 }); // Bob is on a phone
  await bob.goto(board.links.participant);
  await joinAs(bob, 'Bob');

  await expect(alice.getByRole('button', { name: 'Start blind round' })).toHaveCount(0);
  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(alice.getByTestId('round-status')).toHaveText('Round 1 · blind · scoring');

  await scoreEverything(alice, (i) => (i % 2 === 0 ? 5 : 2));
  // A rationale, committed with Enter.
  const rationale = alice.getByLabel('Rationale for Django on Performance');
  await rationale.fill('ORM and admin save weeks');
  await rationale.press('Enter');
  await expect(fran.getByTestId('progress-list')).toContainText('Alice finished');
  // Blind: Fran sees Alice is done but no matrix.
  await expect(fran.getByTestId('consensus-matrix')).toHaveCount(0);

  await scoreEverything(fran, (i) => (i % 2 === 0 ? 4 : 3));
  // Bob scores with the keyboard only: focus the first radio, then arrows move the choice.
  const bobCells = bob.getByTestId('score-cell');
  for (let i = 0; i < 24; i++) {
    const first = bobCells.nth(i).getByRole('radio').first();
    await first.focus();
    await bob.keyboard.press('Space');
    await bob.keyboard.press('ArrowRight');
    await bob.keyboard.press('ArrowRight'); // → 3
    await expect(bobCells.nth(i).getByRole('radio', { name: '3' })).toBeChecked();
  }
  await expect(fran.getByTestId('progress-list')).toContainText('Bob finished');

  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  for (const page of [fran, alice, bob]) {
    await expect(page.getByTestId('consensus-matrix')).toBeVisible();
    await expect(page.getByTestId('round-status')).toHaveText('Round 1 revealed');
  }
  const totals = await fran.getByTestId('totals').textContent();
  expect(totals).toContain('Django');
  expect(await alice.getByTestId('totals').textContent()).toBe(totals);
  expect(await bob.getByTestId('totals').textContent()).toBe(totals);
  const cell = 'matrix-cell-performance-django';
  await expect(alice.getByTestId(cell)).toContainText('4.0');
  await alice.getByTestId(cell).getByText('Scores').click();
  await expect(alice.getByTestId(cell)).toContainText('ORM and admin save weeks');
  await expect(fran.getByTestId('support')).toContainText('prefer Django');
  await expect(fran.getByTestId('options-chart')).toBeVisible();
});
