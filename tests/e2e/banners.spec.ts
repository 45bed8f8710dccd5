import { expect, joinAs, newBoard, person, test } from './fixtures';

test('[R2] round start and reveal are announced to everyone with a way there; the facilitator brings followers to the matrix', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);
  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await joinAs(fran, 'Fran');
  const alice = await person(browser);
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.goto(board.links.participant);
  await joinAs(alice, 'Alice');
  const viewer = await person(browser);
  await viewer.goto(board.links.viewer);
  await expect(viewer.getByTestId('round-status')).toHaveText('No scoring round yet');

  await fran.getByRole('button', { name: 'Start blind round' }).click();
  for (const page of [alice, viewer]) {
    await expect(page.getByTestId('round-banner')).toContainText('Round 1 started: score blind.');
    await expect(page.getByTestId('announcer')).toContainText('Round 1 started');
  }
  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(alice.getByTestId('round-banner')).toContainText('Round 1 revealed');
  // Alice scrolled away to the bottom of the page; "Go there" brings her to the matrix.
  await alice.getByRole('button', { name: 'Go there' }).click();
  await expect(alice.locator('#matrix-heading')).toBeInViewport();

  await alice.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await expect(alice.locator('#matrix-heading')).not.toBeInViewport();
  await fran.getByRole('button', { name: 'the matrix' }).click();
  await expect(alice.getByTestId('round-banner')).toContainText(
    'The facilitator brings everyone to the consensus matrix.',
  );
  await expect(alice.locator('#matrix-heading')).toBeInViewport();
  await expect(alice.getByTestId('announcer')).toHaveText(
    'The facilitator brings everyone to the consensus matrix.',
  );
});
