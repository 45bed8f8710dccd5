import { expect, joinAs, newBoard, person, test } from './fixtures';

test('[R10][R11] round 2 starts from everyone’s round-1 scores on every device; a phone user abstains and keeps the rest; the matrix shows the abstention', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);

  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const aliceContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const alice = await aliceContext.newPage();
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  const viewer = await person(browser);
  await viewer.goto(board.links.viewer);

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  const cells = alice.getByTestId('score-cell');
  await expect(cells).toHaveCount(24);
  for (let i = 0; i < 24; i++) await cells.nth(i).getByText('4', { exact: true }).click();
  await expect(fran.getByTestId('progress-list')).toContainText('Alice finished');
  // A blind round: others see progress, not "not scored".
  await expect(viewer.getByText('sealed until the reveal · 1 of 2 finished').first()).toBeVisible();
  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(alice.getByTestId('round-status')).toHaveText('Round 1 revealed');

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(alice.getByTestId('round-status')).toHaveText('Round 2 · blind · scoring');
  // Alice's scores came back, marked as carried, on a second device of hers too.
  await expect(alice.getByTestId('carried-notice')).toContainText(
    '24 of your scores are carried over from round 1',
  );
  const aliceTablet = await aliceContext.newPage();
  await aliceTablet.goto(board.links.participant);
  await expect(aliceTablet.getByTestId('carried-notice')).toContainText('24 of your scores');
  await expect(aliceTablet.getByTestId('score-cell').first().getByRole('radio', { name: '4' })).toBeChecked();
  await expect(fran.getByTestId('progress-list')).toContainText('Alice 0/24');

  // She does not know one cell: abstains; then keeps the other 23.
  const first = alice.getByTestId('score-cell').first();
  await first.getByText('?', { exact: true }).click();
  await expect(first.getByRole('radio', { name: /Don't know/ })).toBeChecked();
  await expect(alice.getByTestId('carried-notice')).toContainText('23 of your scores');
  await alice.getByRole('button', { name: 'Keep my other 23 scores' }).click();
  await expect(alice.getByTestId('carried-notice')).toHaveCount(0);
  await expect(fran.getByTestId('progress-list')).toContainText('Alice finished');

  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  // The matrix is a table on wide screens and stacked cards on phones: one of them is shown.
  await expect(viewer.locator('[data-testid="abstained"]:visible')).toHaveText('1 abstained (don’t know)');
  await expect(fran.locator('[data-testid="abstained"]:visible')).toHaveCount(1);
});
