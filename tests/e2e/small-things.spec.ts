import { expect, joinAs, newBoard, person, test } from './fixtures';

test('[R2] the join form names the board; a bad link says so before asking a name; finalize is disabled with the reason during a round; the top shows the outcome after finalizing', async ({
  browser,
  server,
}) => {
  const board = await newBoard(server.url);

  const stranger = await person(browser);
  await stranger.goto(`${server.url}/b/AAAAAAAAAAAAAAAAAAAAAA`);
  await expect(stranger.getByTestId('missing-board')).toBeVisible();
  await expect(stranger.getByLabel('Your display name')).toHaveCount(0);

  const fran = await person(browser);
  await fran.goto(board.links.facilitator);
  await expect(fran.getByTestId('join-board-title')).toHaveText('Django or Node.js for our backend');
  await joinAs(fran, 'Fran');
  await fran.getByRole('button', { name: 'Start blind round' }).click();
  await expect(fran.getByRole('button', { name: 'Finalize decision' })).toBeDisabled();
  await expect(fran.getByTestId('finalize-why')).toContainText('Reveal round 1 before finalizing');
  await fran.getByRole('button', { name: 'Reveal scores' }).click();
  await expect(fran.getByRole('button', { name: 'Finalize decision' })).toBeEnabled();
  fran.once('dialog', (d) => void d.accept());
  await fran.getByRole('button', { name: 'Finalize decision' }).click();
  await expect(fran.getByTestId('round-status')).toHaveText(/^Decided: /);
  await expect(fran.getByTestId('round-banner')).toContainText('The decision is finalized.');
});
